import type { DetectedFace } from '../../inference/src/detection/detected-face.js';

/** The embedder's alignment template (manifest `alignment`): 5 points in a width×height crop. */
export interface AlignmentTemplate {
  width: number;
  height: number;
  template: [number, number][];
}

export interface SubjectFace {
  face: DetectedFace;
  /** false when no face was detected and the centre-crop fallback was used. */
  detected: boolean;
}

/**
 * The labelled subject of an LFW-style photo (the person is centred by construction; about a fifth
 * of the photos show other faces too): the detected face whose box centre is nearest the image
 * centre. With no detection, falls back to `centreCropFace`.
 */
export function pickSubjectFace(
  image: { width: number; height: number },
  faces: readonly DetectedFace[],
  alignment: AlignmentTemplate,
): SubjectFace {
  if (faces.length === 0) return { face: centreCropFace(image, alignment), detected: false };
  const cx = image.width / 2;
  const cy = image.height / 2;
  let best = faces[0];
  let bestDistance = Infinity;
  for (const face of faces) {
    const dx = face.box.x + face.box.width / 2 - cx;
    const dy = face.box.y + face.box.height / 2 - cy;
    const distance = dx * dx + dy * dy;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = face;
    }
  }
  return { face: best, detected: true };
}

/**
 * A pseudo-detection for a photo where the detector found nothing: the alignment template's
 * width×height square mapped (uniform scale + translation, centre on centre) onto the central
 * square of side 0.5·min(width, height), so aligning with these landmarks is a plain centre crop
 * resized to the embedder's input. Score 0 marks it as not a detection.
 *
 * This mirrors the paper's centre-crop fallback (FaceNet, Schroff et al. 2015, §5.7: where their
 * detector fails on an LFW thumbnail they fall back to the thumbnail's own LFW alignment, and a
 * fixed centre crop of the thumbnail alone scores 98.87%). The images here are deep-funneled, i.e.
 * already aligned and centred, so a fixed centre crop is that fallback. Every pair is kept: dropping
 * pairs without a detection would flatter the accuracy.
 */
export function centreCropFace(image: { width: number; height: number }, alignment: AlignmentTemplate): DetectedFace {
  const side = 0.5 * Math.min(image.width, image.height);
  const cx = image.width / 2;
  const cy = image.height / 2;
  // Uniform scale (a similarity, like the alignment itself); for a square template such as
  // 112×112 the template square lands exactly on the central square.
  const scale = side / Math.max(alignment.width, alignment.height);
  return {
    box: { x: cx - side / 2, y: cy - side / 2, width: side, height: side },
    landmarks: alignment.template.map(([x, y]) => ({
      x: cx + (x - alignment.width / 2) * scale,
      y: cy + (y - alignment.height / 2) * scale,
    })),
    score: 0,
  };
}
