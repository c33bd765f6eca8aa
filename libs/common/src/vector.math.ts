/** Scales `v` to unit length in place and returns it; a zero vector is left as is. */
export function l2NormalizeInPlace(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * FaceNet's distance: squared Euclidean distance between unit vectors, in [0, 4].
 * For unit vectors it equals 2 − 2·cosine, so it is derived from the cosine similarity.
 */
export const squaredDistanceFromCosine = (cosine: number): number => Math.max(0, 2 - 2 * cosine);
