import { decodeYunet, intersectionOverUnion, nonMaximumSuppression, YunetStrideOutput } from './yunet.decoder.js';

/** Builds all-zero outputs for a W×H input and lets a test place predictions in chosen cells. */
function emptyOutputs(width: number, height: number): YunetStrideOutput[] {
  return [8, 16, 32].map((stride) => {
    const cells = (width / stride) * (height / stride);
    return { stride, cls: new Float32Array(cells), obj: new Float32Array(cells), bbox: new Float32Array(cells * 4), kps: new Float32Array(cells * 10) };
  });
}

function place(out: YunetStrideOutput, width: number, col: number, row: number, values: { cls: number; obj: number; bbox: number[]; kps: number[] }) {
  const i = row * (width / out.stride) + col;
  out.cls[i] = values.cls;
  out.obj[i] = values.obj;
  out.bbox.set(values.bbox, i * 4);
  out.kps.set(values.kps, i * 10);
}

describe('YuNet decoding', () => {
  const W = 64;
  const H = 32;

  it('decodes a cell into box, landmarks and score in input pixels', () => {
    const outputs = emptyOutputs(W, H);
    // stride 16 grid is 4×2; put a face in column 2, row 1.
    place(outputs[1], W, 2, 1, {
      cls: 0.81, obj: 1,
      bbox: [0.5, 0.25, Math.log(2), Math.log(1.5)],
      kps: [0.1, 0.2, 0.9, 0.2, 0.5, 0.5, 0.2, 0.8, 0.8, 0.8],
    });
    const faces = decodeYunet(outputs, W, H, 0.5);
    expect(faces).toHaveLength(1);
    const [face] = faces;
    expect(face.score).toBeCloseTo(0.9, 6);
    // centre (2.5·16, 1.25·16) = (40, 20); size (32, 24)
    expect(face.box.x).toBeCloseTo(24, 4);
    expect(face.box.y).toBeCloseTo(8, 4);
    expect(face.box.width).toBeCloseTo(32, 4);
    expect(face.box.height).toBeCloseTo(24, 4);
    expect(face.landmarks[0].x).toBeCloseTo((2 + 0.1) * 16, 4);
    expect(face.landmarks[0].y).toBeCloseTo((1 + 0.2) * 16, 4);
    expect(face.landmarks[4].x).toBeCloseTo((2 + 0.8) * 16, 4);
  });

  it('drops cells under the score threshold and clamps scores into [0,1]', () => {
    const outputs = emptyOutputs(W, H);
    place(outputs[0], W, 0, 0, { cls: 0.2, obj: 0.2, bbox: [0, 0, 0, 0], kps: new Array(10).fill(0) });
    place(outputs[2], W, 1, 0, { cls: 1.3, obj: 1.1, bbox: [0, 0, 0, 0], kps: new Array(10).fill(0) });
    const faces = decodeYunet(outputs, W, H, 0.5);
    expect(faces).toHaveLength(1);
    expect(faces[0].score).toBe(1);
  });

  it('rejects outputs whose size does not match the input grid', () => {
    const outputs = emptyOutputs(W, H);
    expect(() => decodeYunet(outputs, W * 2, H, 0.5)).toThrow(/grid/);
  });
});

describe('non-maximum suppression', () => {
  const face = (x: number, y: number, size: number, score: number) => ({
    box: { x, y, width: size, height: size }, landmarks: [], score,
  });

  it('computes IoU of overlapping, nested and disjoint boxes', () => {
    expect(intersectionOverUnion({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 0, width: 10, height: 10 })).toBeCloseTo(50 / 150);
    expect(intersectionOverUnion({ x: 0, y: 0, width: 10, height: 10 }, { x: 0, y: 0, width: 10, height: 10 })).toBe(1);
    expect(intersectionOverUnion({ x: 0, y: 0, width: 10, height: 10 }, { x: 20, y: 20, width: 5, height: 5 })).toBe(0);
  });

  it('keeps the best of each overlapping group, best first', () => {
    const kept = nonMaximumSuppression(
      [face(0, 0, 10, 0.7), face(1, 1, 10, 0.95), face(50, 50, 10, 0.8), face(2, 0, 10, 0.9)],
      0.3,
    );
    expect(kept.map((f) => f.score)).toEqual([0.95, 0.8]);
  });

  it('keeps faces whose overlap is at or below the threshold', () => {
    const kept = nonMaximumSuppression([face(0, 0, 10, 0.9), face(5, 0, 10, 0.8)], 0.4);
    expect(kept).toHaveLength(2);
  });
});
