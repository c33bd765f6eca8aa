import { seededRandom } from '../../common/src/index.js';
import { randomMatrix } from '../../../test/support/random-matrix.js';
import { orthogonalProcrustes, ridgeLeastSquares } from './closed-form.js';
import { Matrix, maxAbsDifference, multiply, svd, transpose, zeros } from './linear-algebra.js';

/** Rows: W·xᵢ + b for the rows xᵢ of `x`. */
function mapRows(x: Matrix, w: Matrix, b: Float64Array): Matrix {
  const y = multiply(x, transpose(w));
  for (let r = 0; r < y.rows; r++) for (let c = 0; c < y.cols; c++) y.data[r * y.cols + c] += b[c];
  return y;
}

/** A random matrix with orthonormal columns (rows ≥ cols): the U·Vᵀ of a random matrix. */
function orthonormalColumns(rows: number, cols: number, seed: number): Matrix {
  const { u, v } = svd(randomMatrix(rows, cols, seed));
  return multiply(u, transpose(v));
}

function randomVector(n: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  return Float64Array.from({ length: n }, () => random() - 0.5);
}

describe('orthogonalProcrustes', () => {
  it('recovers a known 128-D rotation with scale and translation from mapped points', () => {
    const rotation = orthonormalColumns(128, 128, 1);
    const scaled = zeros(128, 128);
    rotation.data.forEach((v, i) => (scaled.data[i] = 0.3 * v));
    const bias = randomVector(128, 2);
    const x = randomMatrix(400, 128, 3);
    const { weights, bias: fitted } = orthogonalProcrustes(x, mapRows(x, scaled, bias));
    expect(maxAbsDifference(weights, scaled)).toBeLessThan(1e-9);
    expect(Math.max(...fitted.map((v, i) => Math.abs(v - bias[i])))).toBeLessThan(1e-9);
  });

  it('recovers maps between spaces of different dimensions (128 → 512 and 512 → 128)', () => {
    const up = orthonormalColumns(512, 128, 4); // 512 × 128
    const noBias = new Float64Array(512);
    const x = randomMatrix(300, 128, 5);
    expect(maxAbsDifference(orthogonalProcrustes(x, mapRows(x, up, noBias)).weights, up)).toBeLessThan(1e-9);
    // Back down: 512-D points on the 128-D subspace, mapped by upᵀ onto their coordinates.
    const lifted = mapRows(x, up, noBias);
    expect(maxAbsDifference(orthogonalProcrustes(lifted, x).weights, transpose(up))).toBeLessThan(1e-9);
  });

  it('needs the same faces on both sides', () => {
    expect(() => orthogonalProcrustes(zeros(3, 2), zeros(4, 2))).toThrow('3 embeddings on one side but 4 on the other');
  });
});

describe('ridgeLeastSquares', () => {
  it('recovers a general affine map from noise-free points when the ridge is negligible', () => {
    const w = randomMatrix(16, 24, 6);
    const b = randomVector(16, 7);
    const x = randomMatrix(200, 24, 8);
    const fitted = ridgeLeastSquares(x, mapRows(x, w, b), 1e-12);
    expect(maxAbsDifference(fitted.weights, w)).toBeLessThan(1e-6);
    expect(Math.max(...fitted.bias.map((v, i) => Math.abs(v - b[i])))).toBeLessThan(1e-6);
  });
});
