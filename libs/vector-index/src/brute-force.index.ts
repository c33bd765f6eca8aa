import { checkDimension, SearchHit } from './search-hit.js';

/** Exact inner-product search over every vector: the oracle that approximate search is measured against. */
export class BruteForceIndex {
  private readonly vectors = new Map<number, Float32Array>();

  constructor(readonly dimension: number) {}

  get size(): number {
    return this.vectors.size;
  }

  add(label: number, vector: ArrayLike<number>): void {
    checkDimension(vector, this.dimension);
    this.vectors.set(label, Float32Array.from(vector));
  }

  remove(label: number): boolean {
    return this.vectors.delete(label);
  }

  search(query: ArrayLike<number>, k: number, filter?: (label: number) => boolean): SearchHit[] {
    checkDimension(query, this.dimension);
    const hits: SearchHit[] = [];
    for (const [label, vector] of this.vectors) {
      if (filter && !filter(label)) continue;
      hits.push({ label, similarity: innerProduct(query, vector) });
    }
    return topK(hits, k);
  }
}

export function innerProduct(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Best `k` hits, most similar first (ties broken by label for determinism). */
export function topK(hits: SearchHit[], k: number): SearchHit[] {
  return hits.sort((a, b) => b.similarity - a.similarity || a.label - b.label).slice(0, k);
}
