import { seededRandom } from '../../libs/common/src/index.js';
import { Matrix, zeros } from '../../libs/training/src/linear-algebra.js';

/** A seeded matrix of values uniform in [−1, 1). */
export function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const random = seededRandom(seed);
  const m = zeros(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = 2 * random() - 1;
  return m;
}
