import { randomMatrix } from '../../../test/support/random-matrix.js';
import {
  fromRows, identity, maxAbsDifference, multiply, solveSymmetricPositiveDefinite, svd, transpose, transposeMultiply, zeros,
} from './linear-algebra.js';

const diagonal = (s: Float64Array) => {
  const d = zeros(s.length, s.length);
  s.forEach((v, i) => (d.data[i * s.length + i] = v));
  return d;
};

describe('svd (one-sided Jacobi)', () => {
  it.each([[128, 128], [512, 128], [7, 3]])('decomposes a random %i×%i matrix into orthonormal factors, largest singular value first', (rows, cols) => {
    const a = randomMatrix(rows, cols, rows + cols);
    const { u, s, v } = svd(a);
    expect(maxAbsDifference(multiply(multiply(u, diagonal(s)), transpose(v)), a)).toBeLessThan(1e-10);
    expect(maxAbsDifference(transposeMultiply(u, u), identity(cols))).toBeLessThan(1e-10);
    expect(maxAbsDifference(transposeMultiply(v, v), identity(cols))).toBeLessThan(1e-10);
    for (let i = 1; i < cols; i++) expect(s[i]).toBeLessThanOrEqual(s[i - 1]);
    expect(s[cols - 1]).toBeGreaterThan(0);
  });

  it('completes u to an orthonormal basis when the matrix is rank deficient', () => {
    // Columns 0 and 2 are equal and column 3 is zero: rank 2.
    const a = fromRows([[1, 2, 1, 0], [0, 1, 0, 0], [3, 0, 3, 0], [1, 1, 1, 0], [2, 5, 2, 0]]);
    const { u, s, v } = svd(a);
    expect([...s.slice(2)]).toEqual([0, 0]);
    expect(maxAbsDifference(multiply(multiply(u, diagonal(s)), transpose(v)), a)).toBeLessThan(1e-12);
    expect(maxAbsDifference(transposeMultiply(u, u), identity(4))).toBeLessThan(1e-12);
  });

  it('wants at least as many rows as columns', () => {
    expect(() => svd(zeros(2, 3))).toThrow('svd expects rows ≥ columns, got 2×3; decompose the transpose');
  });
});

describe('solveSymmetricPositiveDefinite (Cholesky)', () => {
  it('solves s·x = b for every column of b', () => {
    const r = randomMatrix(40, 40, 3);
    const s = transposeMultiply(r, r);
    for (let i = 0; i < 40; i++) s.data[i * 40 + i] += 1;
    const b = randomMatrix(40, 5, 4);
    expect(maxAbsDifference(multiply(s, solveSymmetricPositiveDefinite(s, b)), b)).toBeLessThan(1e-10);
  });

  it('refuses a matrix that is not positive definite', () => {
    expect(() => solveSymmetricPositiveDefinite(fromRows([[1, 2], [2, 1]]), fromRows([[1], [1]]))).toThrow('Matrix is not positive definite');
  });
});
