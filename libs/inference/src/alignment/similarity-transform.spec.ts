import { AffineMatrix, alignFace, applyAffine, estimateSimilarityTransform, invertAffine, warpAffine } from './similarity-transform.js';

const TEMPLATE: [number, number][] = [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]];

function similarity(scale: number, angle: number, tx: number, ty: number): AffineMatrix {
  const c = scale * Math.cos(angle), s = scale * Math.sin(angle);
  return [c, -s, tx, s, c, ty];
}

describe('similarity transform estimation', () => {
  const source = [{ x: 120, y: 80 }, { x: 180, y: 85 }, { x: 150, y: 120 }, { x: 125, y: 160 }, { x: 175, y: 158 }];

  it('recovers a known rotation, scale and translation exactly', () => {
    const known = similarity(0.42, 0.3, -17.5, 9.25);
    const target = source.map((p) => applyAffine(known, p));
    const estimated = estimateSimilarityTransform(source, target);
    estimated.forEach((value, i) => expect(value).toBeCloseTo(known[i], 9));
  });

  it('is the least-squares fit under noise (residual no larger than the true transform)', () => {
    const known = similarity(1.7, -0.8, 40, -12);
    const noise = [[0.5, -0.3], [-0.2, 0.4], [0.1, 0.1], [-0.6, -0.2], [0.3, 0.5]];
    const target = source.map((p, i) => {
      const q = applyAffine(known, p);
      return { x: q.x + noise[i][0], y: q.y + noise[i][1] };
    });
    const residual = (m: AffineMatrix) =>
      source.reduce((sum, p, i) => {
        const q = applyAffine(m, p);
        return sum + (q.x - target[i].x) ** 2 + (q.y - target[i].y) ** 2;
      }, 0);
    const estimated = estimateSimilarityTransform(source, target);
    expect(residual(estimated)).toBeLessThanOrEqual(residual(known) + 1e-9);
    expect(Math.hypot(estimated[0], estimated[3])).toBeCloseTo(1.7, 2);
  });

  it('never reflects: a mirrored target still yields a proper rotation', () => {
    const mirrored = source.map((p) => ({ x: -p.x, y: p.y }));
    const m = estimateSimilarityTransform(source, mirrored);
    expect(m[0] * m[4] - m[1] * m[3]).toBeGreaterThan(0);
  });

  it('inverts an affine matrix', () => {
    const m = similarity(2, 1.1, 3, 4);
    const p = applyAffine(invertAffine(m), applyAffine(m, { x: 7, y: -2 }));
    expect(p.x).toBeCloseTo(7, 10);
    expect(p.y).toBeCloseTo(-2, 10);
  });

  it('rejects degenerate input', () => {
    expect(() => estimateSimilarityTransform([{ x: 1, y: 1 }, { x: 1, y: 1 }], [{ x: 0, y: 0 }, { x: 1, y: 1 }])).toThrow();
    expect(() => estimateSimilarityTransform([{ x: 1, y: 1 }], [{ x: 0, y: 0 }])).toThrow();
  });
});

describe('affine warp', () => {
  // A 4×2 image whose red channel encodes x·10 and green encodes y·10.
  const width = 4, height = 2;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x * 10, y * 10, 7], (y * width + x) * 3);
  const image = { width, height, data };

  it('copies pixels under the identity and blackens the outside', () => {
    const out = warpAffine(image, [1, 0, 0, 0, 1, 0], 5, 2);
    expect(Array.from(out.data.subarray(0, 3))).toEqual([0, 0, 7]);
    expect(Array.from(out.data.subarray(3 * 5 + 9, 3 * 5 + 12))).toEqual([30, 10, 7]);
    expect(Array.from(out.data.subarray(12, 15))).toEqual([0, 0, 0]); // x = 4 is outside
  });

  it('interpolates bilinearly between pixels', () => {
    const out = warpAffine(image, [1, 0, -0.5, 0, 1, 0], 2, 1); // output u samples source x = u + 0.5
    expect(out.data[0]).toBe(5);
    expect(out.data[3]).toBe(15);
  });

  it('puts detected landmarks onto the template', () => {
    // Landmarks = template scaled ×2 and shifted: aligning must undo exactly that.
    const landmarks = TEMPLATE.map(([x, y]) => ({ x: 2 * x + 10, y: 2 * y + 20 }));
    const big = { width: 300, height: 300, data: new Uint8Array(300 * 300 * 3) };
    for (let y = 0; y < 300; y++) for (let x = 0; x < 300; x++) big.data[(y * 300 + x) * 3] = (x + y) % 256;
    const crop = alignFace(big, landmarks, TEMPLATE, 112, 112);
    expect(crop.width).toBe(112);
    // Crop pixel (u,v) samples source (2u+10, 2v+20), whose red value is (2u+10+2v+20) mod 256.
    expect(crop.data[(50 * 112 + 40) * 3]).toBe((2 * 40 + 10 + 2 * 50 + 20) % 256);
  });
});
