import { DetectedFace, Point } from '../detection/detected-face.js';
import { RgbImage } from '../image/rgb-image.js';
import {
  assessFaceQuality, estimatePose, FaceQuality, laplacianVariance, QualityReason, qualityFailures, QualityThresholds,
} from './face-quality.js';

const RAD = Math.PI / 180;

/**
 * The 5 landmarks of the rigid mean face the estimator assumes (eyes 1 apart, mouth 1.03 below,
 * nose tip 0.58 of the way down and 0.5 in front), turned by yaw, then pitch, then roll, projected
 * orthographically at `scale` pixels per interocular unit around (200, 200).
 */
function landmarks(yaw = 0, pitch = 0, roll = 0, scale = 60): Point[] {
  const model: [number, number, number][] = [[-0.5, 0, 0], [0.5, 0, 0], [0, 0.58 * 1.03, 0.5], [-0.35, 1.03, 0], [0.35, 1.03, 0]];
  return model.map(([x, y, z]) => {
    [x, z] = [x * Math.cos(yaw * RAD) + z * Math.sin(yaw * RAD), z * Math.cos(yaw * RAD) - x * Math.sin(yaw * RAD)];
    y = y * Math.cos(pitch * RAD) - z * Math.sin(pitch * RAD);
    [x, y] = [x * Math.cos(roll * RAD) - y * Math.sin(roll * RAD), x * Math.sin(roll * RAD) + y * Math.cos(roll * RAD)];
    return { x: 200 + scale * x, y: 200 + scale * y };
  });
}

function image(size: number, pixel: (x: number, y: number) => number): RgbImage {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data.fill(pixel(x, y), (y * size + x) * 3, (y * size + x) * 3 + 3);
  return { width: size, height: size, data };
}

const checkerboard = (cell: number) => image(112, (x, y) => ((Math.floor(x / cell) + Math.floor(y / cell)) % 2 ? 255 : 0));

/** 5×5 box blur of a grey crop. */
function boxBlur(crop: RgbImage): RgbImage {
  const { width: size, data } = crop;
  return image(size, (x, y) => {
    let sum = 0, n = 0;
    for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) {
      const u = x + dx, v = y + dy;
      if (u >= 0 && v >= 0 && u < size && v < size) { sum += data[(v * size + u) * 3]; n++; }
    }
    return Math.round(sum / n);
  });
}

describe('estimatePose (geometric proxies from 5 landmarks)', () => {
  it('reads a frontal face as 0° on every axis', () => {
    const pose = estimatePose(landmarks());
    for (const angle of Object.values(pose)) expect(angle).toBeCloseTo(0, 6);
  });

  it.each([-60, -30, 20, 45])('recovers a turn (yaw %d°) of the mean face, nose to the image right when positive', (yaw) => {
    const pose = estimatePose(landmarks(yaw));
    expect(pose.yaw).toBeCloseTo(yaw, 6);
    expect(pose.pitch).toBeCloseTo(0, 6);
    expect(pose.roll).toBeCloseTo(0, 6);
  });

  it.each([-40, -15, 25])('recovers a nod (pitch %d°), positive when the face tilts up', (pitch) => {
    const pose = estimatePose(landmarks(0, pitch));
    expect(pose.pitch).toBeCloseTo(pitch, 6);
    expect(pose.yaw).toBeCloseTo(0, 6);
  });

  it.each([-30, 15, 80])('reads roll from the eye line (%d°) and yaw/pitch in the eye-line frame', (roll) => {
    const pose = estimatePose(landmarks(0, 0, roll));
    expect(pose.roll).toBeCloseTo(roll, 6);
    expect(pose.yaw).toBeCloseTo(0, 6);
    expect(pose.pitch).toBeCloseTo(0, 6);
  });

  it('stays finite for degenerate landmarks', () => {
    const point = { x: 10, y: 10 };
    expect(Object.values(estimatePose([point, point, point, point, point])).every(Number.isFinite)).toBe(true);
  });
});

describe('laplacianVariance (sharpness)', () => {
  it('is large for a sharp checkerboard and zero for a flat crop', () => {
    expect(laplacianVariance(checkerboard(1))).toBeCloseTo(1020 ** 2, 0);
    expect(laplacianVariance(image(112, () => 128))).toBe(0);
  });

  it('drops when the same pattern is blurred', () => {
    const sharp = laplacianVariance(checkerboard(4));
    const blurred = laplacianVariance(boxBlur(checkerboard(4)));
    expect(blurred).toBeGreaterThan(0);
    expect(blurred).toBeLessThan(sharp / 10);
  });

  it('ignores the border where alignment leaves black: only the central half counts', () => {
    // Flat over the central half and its 1-pixel Laplacian margin, a sharp pattern elsewhere.
    const framed = image(112, (x, y) => (x >= 27 && x <= 84 && y >= 27 && y <= 84 ? 128 : (x + y) % 2 ? 255 : 0));
    expect(laplacianVariance(framed)).toBe(0);
  });
});

describe('assessFaceQuality and qualityFailures', () => {
  const thresholds: QualityThresholds = {
    minInterocularDistance: 20, minSharpness: 100, maxYaw: 40, maxPitch: 30, maxRoll: 30, minDetectorScore: 0.7,
  };
  const face = (points: Point[], score = 0.9): DetectedFace => ({ box: { x: 0, y: 0, width: 100, height: 100 }, landmarks: points, score });

  it('measures the eye distance in source pixels, the pose and the detector score', () => {
    const quality = assessFaceQuality(face(landmarks(0, 0, 30, 50), 0.85), checkerboard(2));
    expect(quality.interocularDistance).toBeCloseTo(50, 6);
    expect(quality.roll).toBeCloseTo(30, 6);
    expect(quality.detectorScore).toBe(0.85);
    expect(quality.sharpness).toBeGreaterThan(thresholds.minSharpness);
  });

  it('passes a large, sharp, frontal, confident face', () => {
    expect(qualityFailures(assessFaceQuality(face(landmarks()), checkerboard(2)), thresholds)).toEqual([]);
  });

  it('names every failing measure, in enum order', () => {
    const good: FaceQuality = { interocularDistance: 60, sharpness: 500, yaw: 0, pitch: 0, roll: 0, detectorScore: 0.9 };
    const fails = (change: Partial<FaceQuality>) => qualityFailures({ ...good, ...change }, thresholds);
    expect(fails({ interocularDistance: 12 })).toEqual([QualityReason.SMALL_FACE]);
    expect(fails({ sharpness: 20 })).toEqual([QualityReason.BLURRY]);
    expect(fails({ yaw: -50 })).toEqual([QualityReason.EXTREME_POSE]);
    expect(fails({ pitch: 35 })).toEqual([QualityReason.EXTREME_POSE]);
    expect(fails({ roll: -31 })).toEqual([QualityReason.EXTREME_POSE]);
    expect(fails({ detectorScore: 0.65 })).toEqual([QualityReason.LOW_CONFIDENCE]);
    expect(fails({ interocularDistance: 8, sharpness: 5, yaw: 70, detectorScore: 0.5 })).toEqual([
      QualityReason.SMALL_FACE, QualityReason.BLURRY, QualityReason.EXTREME_POSE, QualityReason.LOW_CONFIDENCE,
    ]);
  });

  it('flags a small, turned face with a featureless crop from real measures', () => {
    const turned = assessFaceQuality(face(landmarks(60, 0, 0, 15)), image(112, () => 90));
    expect(qualityFailures(turned, thresholds)).toEqual([QualityReason.SMALL_FACE, QualityReason.BLURRY, QualityReason.EXTREME_POSE]);
  });
});
