export interface SearchHit {
  /** Caller-chosen integer label (e.g. an embedding row id). */
  label: number;
  /** Inner product with the query: cosine similarity for unit vectors. */
  similarity: number;
}

export function checkDimension(vector: ArrayLike<number>, dimension: number): void {
  if (vector.length !== dimension) {
    throw new RangeError(`Vector has ${vector.length} dimensions; this index holds ${dimension}`);
  }
}
