import type { DetectedFace } from '../../inference/src/detection/detected-face.js';
import { centreCropFace, pickSubjectFace } from './subject-face.js';

const TEMPLATE = {
  width: 112,
  height: 112,
  template: [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]] as [number, number][],
};

const face = (x: number, y: number, size: number, score: number): DetectedFace => ({
  box: { x, y, width: size, height: size },
  landmarks: [{ x: x + size * 0.3, y: y + size * 0.4 }],
  score,
});

describe('pickSubjectFace', () => {
  const image = { width: 250, height: 250 };

  it('takes the face whose box centre is nearest the image centre, not the best-scored or largest', () => {
    const bystander = face(0, 0, 140, 0.99); // larger, higher score, centre (70, 70)
    const subject = face(80, 85, 90, 0.7); // centre (125, 130)
    const other = face(180, 100, 60, 0.9); // centre (210, 130)
    const picked = pickSubjectFace(image, [bystander, other, subject], TEMPLATE);
    expect(picked).toEqual({ face: subject, detected: true });
  });

  it('keeps a single detection even off centre', () => {
    const only = face(150, 10, 50, 0.8);
    expect(pickSubjectFace(image, [only], TEMPLATE)).toEqual({ face: only, detected: true });
  });

  it('falls back to a centre crop when nothing is detected', () => {
    const { face: fallback, detected } = pickSubjectFace(image, [], TEMPLATE);
    expect(detected).toBe(false);
    expect(fallback).toEqual(centreCropFace(image, TEMPLATE));
  });
});

describe('centreCropFace', () => {
  it('maps the template square onto the central square of side min(w, h)/2', () => {
    const image = { width: 300, height: 200 }; // central square: side 100, from (100, 50) to (200, 150)
    const crop = centreCropFace(image, TEMPLATE);
    expect(crop.score).toBe(0);
    expect(crop.box).toEqual({ x: 100, y: 50, width: 100, height: 100 });
    const scale = 100 / 112;
    expect(crop.landmarks).toHaveLength(5);
    crop.landmarks.forEach((p, i) => {
      expect(p.x).toBeCloseTo(100 + TEMPLATE.template[i][0] * scale, 10);
      expect(p.y).toBeCloseTo(50 + TEMPLATE.template[i][1] * scale, 10);
    });
  });

  it('on a 250×250 LFW image uses the central 125×125 square', () => {
    const crop = centreCropFace({ width: 250, height: 250 }, TEMPLATE);
    expect(crop.box).toEqual({ x: 62.5, y: 62.5, width: 125, height: 125 });
    // Template corners (0,0) and (112,112) would land on the square's corners.
    expect(crop.landmarks[2].x).toBeCloseTo(62.5 + 56.0252 * (125 / 112), 10);
  });
});
