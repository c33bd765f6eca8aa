import { DetectedFace, Point } from '../detection/detected-face.js';
import { RgbImage } from '../image/rgb-image.js';

/** Why a face is not good enough to enroll (after Rekognition's UnindexedFace reasons). */
export enum QualityReason {
  SMALL_FACE = 'SMALL_FACE',
  BLURRY = 'BLURRY',
  EXTREME_POSE = 'EXTREME_POSE',
  LOW_CONFIDENCE = 'LOW_CONFIDENCE',
}

export interface FaceQuality {
  /** Distance between the two eye landmarks, in pixels of the source image. */
  interocularDistance: number;
  /** Variance of the 3×3 Laplacian of the grey aligned crop, over its central half (grey levels²). */
  sharpness: number;
  /** Degrees; positive when the nose points to the image's right. Geometric proxy, see `estimatePose`. */
  yaw: number;
  /** Degrees; positive when the face tilts up (nose towards the eye line). Geometric proxy. */
  pitch: number;
  /** Degrees; angle of the eye line, positive clockwise in the image. */
  roll: number;
  detectorScore: number;
}

export interface QualityThresholds {
  minInterocularDistance: number;
  minSharpness: number;
  maxYaw: number;
  maxPitch: number;
  maxRoll: number;
  minDetectorScore: number;
}

/** Measures a detected face: geometry from its landmarks, sharpness from its aligned crop. */
export function assessFaceQuality(face: DetectedFace, crop: RgbImage): FaceQuality {
  const [eyeA, eyeB] = face.landmarks;
  return {
    interocularDistance: Math.hypot(eyeB.x - eyeA.x, eyeB.y - eyeA.y),
    sharpness: laplacianVariance(crop),
    ...estimatePose(face.landmarks),
    detectorScore: face.score,
  };
}

/** The reasons `quality` fails `thresholds`, in enum order; empty when it passes. */
export function qualityFailures(quality: FaceQuality, thresholds: QualityThresholds): QualityReason[] {
  const reasons: QualityReason[] = [];
  if (quality.interocularDistance < thresholds.minInterocularDistance) reasons.push(QualityReason.SMALL_FACE);
  if (quality.sharpness < thresholds.minSharpness) reasons.push(QualityReason.BLURRY);
  if (Math.abs(quality.yaw) > thresholds.maxYaw || Math.abs(quality.pitch) > thresholds.maxPitch || Math.abs(quality.roll) > thresholds.maxRoll) {
    reasons.push(QualityReason.EXTREME_POSE);
  }
  if (quality.detectorScore < thresholds.minDetectorScore) reasons.push(QualityReason.LOW_CONFIDENCE);
  return reasons;
}

/*
 * Frontal geometry in interocular units (eye centre to eye centre), as YuNet places the landmarks:
 * medians over the 204 front portraits of the London set (eye-level studio camera): mouth line 1.03
 * below the eye line, nose tip 0.58 of the way down to it. Nose-tip depth in front of the eyes:
 * anthropometric average, about 30 mm for 63 mm between the pupils.
 */
const EYE_TO_MOUTH = 1.03;
const FRONTAL_NOSE_FRACTION = 0.58;
const NOSE_DEPTH = 0.5;

const DEG = 180 / Math.PI;

/**
 * Head pose from 5 landmarks with a rigid mean face and orthographic projection: proxies, not a
 * fitted 3-D pose, good to tell frontal from turned (tens of degrees), not to measure a few degrees.
 * - roll: angle of the eye line.
 * - yaw: in the eye-line frame, a turn by θ moves the nose tip sideways by depth·sin θ while the
 *   eyes close up to distance·cos θ, so offset / eye distance = (depth / distance)·tan θ.
 * - pitch: a tilt by φ moves the nose tip along eye→mouth by −depth·sin φ while that segment
 *   shortens by cos φ, so its fraction of the way drops by (depth / eye-to-mouth)·tan φ.
 */
export function estimatePose(landmarks: Point[]): { yaw: number; pitch: number; roll: number } {
  const [eyeA, eyeB, nose, mouthA, mouthB] = landmarks;
  const dx = eyeB.x - eyeA.x, dy = eyeB.y - eyeA.y;
  const eyeDistance = Math.hypot(dx, dy);
  if (eyeDistance === 0) return { yaw: 90, pitch: 90, roll: 0 }; // coincident eyes: unusable, and no NaN downstream
  // Unit vectors along the eye line (u) and perpendicular to it, pointing to the mouth side (v).
  const ux = dx / eyeDistance, uy = dy / eyeDistance;
  const mid = { x: (eyeA.x + eyeB.x) / 2, y: (eyeA.y + eyeB.y) / 2 };
  const along = (p: Point) => ((p.x - mid.x) * ux + (p.y - mid.y) * uy) / eyeDistance;
  const down = (p: Point) => ((p.x - mid.x) * -uy + (p.y - mid.y) * ux) / eyeDistance;
  const mouthDown = (down(mouthA) + down(mouthB)) / 2;
  // A mouth on or above the eye line is no face geometry: the fraction blows up and pitch reads ±90°.
  const noseFraction = down(nose) / Math.max(mouthDown, 1e-6);
  return {
    yaw: Math.atan(along(nose) / NOSE_DEPTH) * DEG,
    pitch: Math.atan(((FRONTAL_NOSE_FRACTION - noseFraction) * EYE_TO_MOUTH) / NOSE_DEPTH) * DEG,
    roll: Math.atan2(dy, dx) * DEG,
  };
}

/**
 * Variance of the 3×3 Laplacian (4-neighbour) of the BT.601 grey crop over its central half: the
 * face itself, away from the black border alignment leaves where the face meets the image edge.
 */
export function laplacianVariance(crop: RgbImage): number {
  const { width, height, data } = crop;
  const grey = new Float64Array(width * height);
  for (let i = 0; i < grey.length; i++) grey[i] = 0.299 * data[3 * i] + 0.587 * data[3 * i + 1] + 0.114 * data[3 * i + 2];
  const x0 = Math.max(1, Math.floor(width / 4)), x1 = Math.min(width - 1, Math.ceil((3 * width) / 4));
  const y0 = Math.max(1, Math.floor(height / 4)), y1 = Math.min(height - 1, Math.ceil((3 * height) / 4));
  let sum = 0, sumSquares = 0, n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = y * width + x;
      const value = grey[i - 1] + grey[i + 1] + grey[i - width] + grey[i + width] - 4 * grey[i];
      sum += value;
      sumSquares += value * value;
      n++;
    }
  }
  if (n === 0) return 0;
  const mean = sum / n;
  return sumSquares / n - mean * mean;
}
