import { Point } from '../detection/detected-face.js';
import { RgbImage } from '../image/rgb-image.js';

/** 2×3 affine matrix [a, b, tx, c, d, ty]: x' = a·x + b·y + tx, y' = c·x + d·y + ty. */
export type AffineMatrix = [number, number, number, number, number, number];

/**
 * Least-squares similarity transform (rotation, uniform scale, translation, no reflection) taking
 * `source` points onto `target` points: Umeyama (1991), closed form for 2-D.
 */
export function estimateSimilarityTransform(source: Point[], target: Point[]): AffineMatrix {
  const n = source.length;
  if (n < 2 || n !== target.length) throw new Error(`Need at least 2 point pairs, got ${n} and ${target.length}`);
  let sx = 0, sy = 0, tx = 0, ty = 0;
  for (let i = 0; i < n; i++) {
    sx += source[i].x; sy += source[i].y; tx += target[i].x; ty += target[i].y;
  }
  sx /= n; sy /= n; tx /= n; ty /= n;
  // Covariance Σ = (1/n) Σ (t − t̄)(s − s̄)ᵀ and the variance of the source.
  let c00 = 0, c01 = 0, c10 = 0, c11 = 0, sourceVariance = 0;
  for (let i = 0; i < n; i++) {
    const ax = source[i].x - sx, ay = source[i].y - sy;
    const bx = target[i].x - tx, by = target[i].y - ty;
    c00 += bx * ax; c01 += bx * ay; c10 += by * ax; c11 += by * ay;
    sourceVariance += ax * ax + ay * ay;
  }
  c00 /= n; c01 /= n; c10 /= n; c11 /= n; sourceVariance /= n;
  if (sourceVariance === 0) throw new Error('Source points are all identical');
  // For 2-D similarity, the optimal rotation angle and scale follow from the covariance directly:
  // R maximises tr(RᵀΣ) → θ = atan2(c10 − c01, c00 + c11); scale = tr(RᵀΣ) / var(source).
  const theta = Math.atan2(c10 - c01, c00 + c11);
  const cos = Math.cos(theta), sin = Math.sin(theta);
  const scale = (cos * (c00 + c11) + sin * (c10 - c01)) / sourceVariance;
  const a = scale * cos, b = -scale * sin, c = scale * sin, d = scale * cos;
  return [a, b, tx - (a * sx + b * sy), c, d, ty - (c * sx + d * sy)];
}

export function applyAffine(m: AffineMatrix, p: Point): Point {
  return { x: m[0] * p.x + m[1] * p.y + m[2], y: m[3] * p.x + m[4] * p.y + m[5] };
}

export function invertAffine(m: AffineMatrix): AffineMatrix {
  const [a, b, tx, c, d, ty] = m;
  const det = a * d - b * c;
  if (det === 0) throw new Error('Affine matrix is singular');
  const ia = d / det, ib = -b / det, ic = -c / det, id = a / det;
  return [ia, ib, -(ia * tx + ib * ty), ic, id, -(ic * tx + id * ty)];
}

/**
 * Warps `image` by `m` (source → output) into a width×height RGB crop with bilinear sampling;
 * pixels that fall outside the source are black, like OpenCV's warpAffine with a constant border.
 */
export function warpAffine(image: RgbImage, m: AffineMatrix, width: number, height: number): RgbImage {
  const inv = invertAffine(m);
  const out = new Uint8Array(width * height * 3);
  const { data, width: sw, height: sh } = image;
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      const x = inv[0] * u + inv[1] * v + inv[2];
      const y = inv[3] * u + inv[4] * v + inv[5];
      const x0 = Math.floor(x), y0 = Math.floor(y);
      const fx = x - x0, fy = y - y0;
      const o = (v * width + u) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const p00 = sample(data, sw, sh, x0, y0, ch);
        const p10 = sample(data, sw, sh, x0 + 1, y0, ch);
        const p01 = sample(data, sw, sh, x0, y0 + 1, ch);
        const p11 = sample(data, sw, sh, x0 + 1, y0 + 1, ch);
        const top = p00 + (p10 - p00) * fx;
        const bottom = p01 + (p11 - p01) * fx;
        out[o + ch] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
  return { width, height, data: out };
}

function sample(data: Uint8Array, width: number, height: number, x: number, y: number, channel: number): number {
  if (x < 0 || y < 0 || x >= width || y >= height) return 0;
  return data[(y * width + x) * 3 + channel];
}

/** Aligns a face to a template: the crop every embedder of that template expects. */
export function alignFace(image: RgbImage, landmarks: Point[], template: [number, number][], width: number, height: number): RgbImage {
  const target = template.map(([x, y]) => ({ x, y }));
  return warpAffine(image, estimateSimilarityTransform(landmarks, target), width, height);
}
