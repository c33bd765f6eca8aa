import { Matrix } from './linear-algebra.js';

/** x ↦ W·x + b from a dFrom-D space into a dTo-D one (W is dTo × dFrom). */
export interface AffineMap {
  weights: Matrix;
  bias: Float64Array;
}

/** The map's output for `x`, scaled to unit length: an embedding of the source space placed in the target space. */
export function applyAffineMap({ weights, bias }: AffineMap, x: ArrayLike<number>): Float32Array {
  if (x.length !== weights.cols) throw new Error(`The map takes ${weights.cols}-D embeddings, got ${x.length}-D`);
  const z = new Float64Array(weights.rows);
  let norm = 0;
  for (let r = 0; r < weights.rows; r++) {
    let sum = bias[r];
    const row = r * weights.cols;
    for (let c = 0; c < weights.cols; c++) sum += weights.data[row + c] * x[c];
    z[r] = sum;
    norm += sum * sum;
  }
  norm = Math.sqrt(norm);
  const out = new Float32Array(weights.rows);
  if (norm > 0) for (let r = 0; r < weights.rows; r++) out[r] = z[r] / norm;
  return out;
}
