import { AffineMap } from './adapter-model.js';
import { Matrix, multiply, solveSymmetricPositiveDefinite, svd, transpose, transposeMultiply, zeros } from './linear-algebra.js';

/**
 * Closed-form maps y ≈ W·x + b between two embedding spaces, fitted on the same faces embedded by
 * both models: `from` (n × dFrom) and `to` (n × dTo) hold one face per row. Both centre the two
 * clouds first: unit embeddings of different models sit in differently placed and differently wide
 * cones (dlib's normalised embeddings all lie within a narrow one, MobileFaceNet's spread over the
 * sphere), and a map through the origin could not move one onto the other.
 */

/**
 * Orthogonal Procrustes with scale and translation: W = s·U·Vᵀ from the SVD of the centred
 * cross-covariance M = Σ (yᵢ−ȳ)(xᵢ−x̄)ᵀ = U·S·Vᵀ, s = tr(S) / Σ|xᵢ−x̄|² (the least-squares scale),
 * b = ȳ − W·x̄. U·Vᵀ has orthonormal rows or columns (a rotation when dTo = dFrom): the map keeps
 * the shape of the source cloud, so it cannot overfit a small training set.
 */
export function orthogonalProcrustes(from: Matrix, to: Matrix): AffineMap {
  const x = centred(from, to);
  const y = centred(to, from);
  const m = transposeMultiply(y.matrix, x.matrix); // dTo × dFrom
  // svd wants at least as many rows as columns: for dTo < dFrom decompose Mᵀ = u·s·vᵀ, so M = v·s·uᵀ.
  const wide = m.rows < m.cols;
  const { u, s, v } = svd(wide ? transpose(m) : m);
  const rotation = wide ? multiply(v, transpose(u)) : multiply(u, transpose(v));
  const traceS = s.reduce((sum, value) => sum + value, 0);
  const spread = x.matrix.data.reduce((sum, v) => sum + v * v, 0);
  const scale = spread > 0 ? traceS / spread : 1;
  for (let i = 0; i < rotation.data.length; i++) rotation.data[i] *= scale;
  return { weights: rotation, bias: translation(rotation, x.mean, y.mean) };
}

/**
 * Ridge least squares: the W minimising Σ |W(xᵢ−x̄) − (yᵢ−ȳ)|² + λ|W|², λ = `ridge` × the mean
 * diagonal of the centred Σ xᵢxᵢᵀ (scale-free), b = ȳ − W·x̄.
 */
export function ridgeLeastSquares(from: Matrix, to: Matrix, ridge = 1e-3): AffineMap {
  const x = centred(from, to);
  const y = centred(to, from);
  const gram = transposeMultiply(x.matrix, x.matrix);
  const n = gram.rows;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += gram.data[i * n + i];
  const lambda = (ridge * trace) / n;
  for (let i = 0; i < n; i++) gram.data[i * n + i] += lambda;
  const weights = transpose(solveSymmetricPositiveDefinite(gram, transposeMultiply(x.matrix, y.matrix)));
  return { weights, bias: translation(weights, x.mean, y.mean) };
}

/** The rows of `samples` minus their mean (checked against the other side's sample count). */
function centred(samples: Matrix, other: Matrix): { matrix: Matrix; mean: Float64Array } {
  if (samples.rows !== other.rows) throw new Error(`${samples.rows} embeddings on one side but ${other.rows} on the other`);
  if (samples.rows === 0) throw new Error('No training faces');
  const mean = new Float64Array(samples.cols);
  for (let r = 0; r < samples.rows; r++) for (let c = 0; c < samples.cols; c++) mean[c] += samples.data[r * samples.cols + c] / samples.rows;
  const matrix = zeros(samples.rows, samples.cols);
  for (let r = 0; r < samples.rows; r++) for (let c = 0; c < samples.cols; c++) matrix.data[r * samples.cols + c] = samples.data[r * samples.cols + c] - mean[c];
  return { matrix, mean };
}

/** b = ȳ − W·x̄. */
function translation(weights: Matrix, fromMean: Float64Array, toMean: Float64Array): Float64Array {
  const bias = Float64Array.from(toMean);
  for (let r = 0; r < weights.rows; r++) for (let c = 0; c < weights.cols; c++) bias[r] -= weights.data[r * weights.cols + c] * fromMean[c];
  return bias;
}
