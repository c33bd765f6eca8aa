/**
 * The int8 form of a unit embedding: one signed byte per dimension (128 bytes for a 128-D face) and
 * one float scale. Each vector has its own scale, 127 / max|x|, so its largest component uses the
 * whole range: a 128-D unit face vector peaks near 0.3, where the single global scale of ≈ 290 that
 * would fit every vector wastes ~1 bit, and usearch's fixed ×127 wastes ~2 (docs/vector-index-facts.md).
 * On face-like 128-D vectors the inner product of two int8 vectors (times both inverse scales) is
 * off the float one by 0.0006 on average, 0.0034 at most (20k pairs); a restored vector has cosine
 * ≥ 0.9999 with the original, and LFW accuracy on restored embeddings is reported by
 * `npm run eval -- lfw --int8`.
 */
export interface Int8Vector {
  codes: Int8Array;
  /** codes[i] ≈ vector[i] · scale. */
  scale: number;
}

/** Quantizes `vector` into `codes` (allocated when not given; may be longer, the rest is left as is). */
export function quantizeInt8(vector: ArrayLike<number>, codes: Int8Array = new Int8Array(vector.length)): Int8Vector {
  let max = 0;
  for (let i = 0; i < vector.length; i++) max = Math.max(max, Math.abs(vector[i]));
  const scale = max > 0 ? 127 / max : 1;
  for (let i = 0; i < vector.length; i++) codes[i] = Math.round(vector[i] * scale);
  return { codes, scale };
}

/** The float vector back, renormalised to unit length so that inner products stay cosines. */
export function dequantizeInt8({ codes, scale }: Int8Vector): Float32Array {
  const vector = new Float32Array(codes.length);
  let sum = 0;
  for (let i = 0; i < codes.length; i++) {
    vector[i] = codes[i] / scale;
    sum += vector[i] * vector[i];
  }
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] /= norm;
  return vector;
}
