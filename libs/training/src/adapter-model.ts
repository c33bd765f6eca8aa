import { seededRandom } from '../../common/src/index.js';
import { Matrix, zeros } from './linear-algebra.js';

/** x ↦ W·x + b from a dFrom-D space into a dTo-D one (W is dTo × dFrom). */
export interface AffineMap {
  weights: Matrix;
  bias: Float64Array;
}

/** A hidden layer added to the affine map: V·relu(U·x + c) (U is hidden × dFrom, V dTo × hidden). */
export interface ResidualLayer {
  inWeights: Matrix;
  inBias: Float64Array;
  outWeights: Matrix;
}

/** What an adapter computes before normalising: W·x + b, plus V·relu(U·x + c) when it has a residual layer. */
export interface AdapterModel extends AffineMap {
  residual?: ResidualLayer;
}

export interface Forward {
  /** The output before normalisation. */
  z: Float64Array;
  /** The residual layer's activations relu(U·x + c) (empty without one). */
  hidden: Float64Array;
}

function multiplyAdd(m: Matrix, x: ArrayLike<number>, into: Float64Array): void {
  for (let r = 0; r < m.rows; r++) {
    let sum = 0;
    const row = r * m.cols;
    for (let c = 0; c < m.cols; c++) sum += m.data[row + c] * x[c];
    into[r] += sum;
  }
}

export function forward({ weights, bias, residual }: AdapterModel, x: ArrayLike<number>): Forward {
  if (x.length !== weights.cols) throw new Error(`The adapter takes ${weights.cols}-D embeddings, got ${x.length}-D`);
  const z = Float64Array.from(bias);
  multiplyAdd(weights, x, z);
  if (!residual) return { z, hidden: new Float64Array(0) };
  const hidden = Float64Array.from(residual.inBias);
  multiplyAdd(residual.inWeights, x, hidden);
  for (let i = 0; i < hidden.length; i++) if (hidden[i] < 0) hidden[i] = 0;
  multiplyAdd(residual.outWeights, hidden, z);
  return { z, hidden };
}

/** The adapter's output for `x`, scaled to unit length: an embedding of the source space placed in the target space. */
export function applyAdapter(model: AdapterModel, x: ArrayLike<number>): Float32Array {
  const { z } = forward(model, x);
  let norm = 0;
  for (const v of z) norm += v * v;
  norm = Math.sqrt(norm);
  const out = new Float32Array(z.length);
  if (norm > 0) for (let r = 0; r < z.length; r++) out[r] = z[r] / norm;
  return out;
}

/**
 * `map` with a residual layer of `size` units that starts silent: U is seeded He-uniform, c = 0 and
 * V = 0, so the model computes exactly `map` until training moves V.
 */
export function withResidualLayer(map: AffineMap, size: number, seed: number): AdapterModel {
  const random = seededRandom(seed);
  const dFrom = map.weights.cols;
  const inWeights = zeros(size, dFrom);
  const limit = Math.sqrt(6 / dFrom);
  for (let i = 0; i < inWeights.data.length; i++) inWeights.data[i] = (2 * random() - 1) * limit;
  return { ...map, residual: { inWeights, inBias: new Float64Array(size), outWeights: zeros(map.weights.rows, size) } };
}

/** The model's parameter arrays in a fixed order (views, not copies): W, b, then U, c, V. */
export function parameterArrays(model: AdapterModel): Float64Array[] {
  const arrays = [model.weights.data, model.bias];
  if (model.residual) arrays.push(model.residual.inWeights.data, model.residual.inBias, model.residual.outWeights.data);
  return arrays;
}

export function cloneModel(model: AdapterModel): AdapterModel {
  const matrix = (m: Matrix): Matrix => ({ rows: m.rows, cols: m.cols, data: Float64Array.from(m.data) });
  const residual = model.residual && {
    inWeights: matrix(model.residual.inWeights), inBias: Float64Array.from(model.residual.inBias), outWeights: matrix(model.residual.outWeights),
  };
  return { weights: matrix(model.weights), bias: Float64Array.from(model.bias), ...(residual ? { residual } : {}) };
}
