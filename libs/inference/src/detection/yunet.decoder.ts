import { Box, DetectedFace } from './detected-face.js';

/** YuNet's raw per-stride outputs for one image (batch index 0), flattened as onnxruntime returns them. */
export interface YunetStrideOutput {
  stride: number;
  cls: Float32Array;
  obj: Float32Array;
  bbox: Float32Array;
  kps: Float32Array;
}

/**
 * Decodes YuNet's anchor-free outputs (one prediction per grid cell and stride), as OpenCV's
 * FaceDetectorYN does: score = sqrt(cls·obj); centre = (cell + offset)·stride; size = exp(log-size)·stride;
 * landmark = (cell + offset)·stride. Coordinates are in network-input pixels.
 */
export function decodeYunet(
  outputs: YunetStrideOutput[],
  inputWidth: number,
  inputHeight: number,
  scoreThreshold: number,
): DetectedFace[] {
  const faces: DetectedFace[] = [];
  for (const { stride, cls, obj, bbox, kps } of outputs) {
    const cols = Math.floor(inputWidth / stride);
    const rows = Math.floor(inputHeight / stride);
    if (cls.length !== cols * rows) {
      throw new Error(`YuNet stride ${stride}: ${cls.length} cells for a ${cols}×${rows} grid`);
    }
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < cols; col++) {
        const i = row * cols + col;
        const score = Math.sqrt(clamp01(cls[i]) * clamp01(obj[i]));
        if (score < scoreThreshold) continue;
        const cx = (col + bbox[i * 4]) * stride;
        const cy = (row + bbox[i * 4 + 1]) * stride;
        const width = Math.exp(bbox[i * 4 + 2]) * stride;
        const height = Math.exp(bbox[i * 4 + 3]) * stride;
        const landmarks = [];
        for (let p = 0; p < 5; p++) {
          landmarks.push({ x: (col + kps[i * 10 + 2 * p]) * stride, y: (row + kps[i * 10 + 2 * p + 1]) * stride });
        }
        faces.push({ box: { x: cx - width / 2, y: cy - height / 2, width, height }, landmarks, score });
      }
    }
  }
  return faces;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

export function intersectionOverUnion(a: Box, b: Box): number {
  const x1 = Math.max(a.x, b.x);
  const y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.width, b.x + b.width);
  const y2 = Math.min(a.y + a.height, b.y + b.height);
  const intersection = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a.width * a.height + b.width * b.height - intersection;
  return union > 0 ? intersection / union : 0;
}

/** Greedy non-maximum suppression: keeps the best-scoring face of every overlapping group, best first. */
export function nonMaximumSuppression(faces: DetectedFace[], iouThreshold: number): DetectedFace[] {
  const sorted = [...faces].sort((a, b) => b.score - a.score);
  const kept: DetectedFace[] = [];
  for (const face of sorted) {
    if (kept.every((k) => intersectionOverUnion(k.box, face.box) <= iouThreshold)) kept.push(face);
  }
  return kept;
}
