import { Point } from '../detection/detected-face.js';
import { RgbImage } from '../image/rgb-image.js';
import { alignFace, applyAffine, estimateSimilarityTransform, warpAffine } from './similarity-transform.js';

/** An aligned crop's geometry: its size and where the five landmarks are placed in it. */
export interface CropAlignment {
  width: number;
  height: number;
  template: [number, number][];
}

/**
 * The crop the platform keeps of every enrolled face, independent of any embedder, so that a later
 * model can be fed from it (a model upgrade re-embeds stored faces; photos are not kept). Each
 * embedder's own crop covers a different region: MobileFaceNet's reaches 1.5 eye distances above the
 * eyes and 1.1 beside them, dlib's chip 0.9 below the mouth; neither contains the other. This one
 * holds both with room to spare: eyes 64 px apart, centred, 1.75 eye distances below the top edge,
 * 1.5 beside the eyes and about 1.1 below the mouth, in 256×256. Its template is MobileFaceNet's
 * (ArcFace's 112×112 layout) scaled and moved, so the face keeps that layout's proportions.
 */
export const FACE_ARCHIVE_ALIGNMENT: CropAlignment & { id: string } = {
  id: 'archive-256-v1',
  width: 256,
  height: 256,
  // MobileFaceNet's 112×112 template scaled by 64 / 35.237 about its eye midpoint, moved to (128, 112).
  template: [[96.0005, 112.177], [159.9995, 111.823], [128.2034, 148.5749], [101.9118, 186.0418], [154.9106, 185.7487]],
};

/** The archive crop of a face of `image` with these landmarks. */
export function archiveCrop(image: RgbImage, landmarks: Point[]): RgbImage {
  const { template, width, height } = FACE_ARCHIVE_ALIGNMENT;
  return alignFace(image, landmarks, template, width, height);
}

/**
 * Re-aligns a stored crop for another embedder: `crop` was aligned to `from` from a face whose
 * landmarks (in the photo) were `landmarks`. The landmarks are carried into the crop by the same fit
 * that made it, then fitted to the target template, so the result is the crop direct alignment from
 * the photo would give (resampled twice). Target pixels outside the stored crop are black; `coverage`
 * says which fraction of the target came from the crop.
 */
export function realignCrop(crop: RgbImage, from: CropAlignment, landmarks: Point[], to: CropAlignment): { crop: RgbImage; coverage: number } {
  const toStored = estimateSimilarityTransform(landmarks, from.template.map(([x, y]) => ({ x, y })));
  const inStored = landmarks.map((p) => applyAffine(toStored, p));
  const transform = estimateSimilarityTransform(inStored, to.template.map(([x, y]) => ({ x, y })));
  return { crop: warpAffine(crop, transform, to.width, to.height), coverage: coverageOf(transform, crop, to) };
}

/** Fraction of the target's pixel centres whose source point lies inside the stored crop. */
function coverageOf(transform: ReturnType<typeof estimateSimilarityTransform>, crop: RgbImage, to: CropAlignment): number {
  const [a, b, tx, c, d, ty] = transform;
  const det = a * d - b * c;
  let inside = 0;
  for (let v = 0; v < to.height; v++) {
    for (let u = 0; u < to.width; u++) {
      const x = (d * (u - tx) - b * (v - ty)) / det;
      const y = (-c * (u - tx) + a * (v - ty)) / det;
      if (x >= 0 && y >= 0 && x <= crop.width - 1 && y <= crop.height - 1) inside++;
    }
  }
  return inside / (to.width * to.height);
}
