// The index benchmark's data: a seeded gallery of face-like vectors, held-out queries, the exact
// top-k that approximate search is measured against, and the statistics that show the data is the
// documented kind (docs/vector-index-facts.md), not an easier one.
import hnswlib from 'hnswlib-node';
import { seededRandom } from '../libs/common/src/index.js';
import { dequantizeInt8, quantizeInt8 } from '../libs/vector-index/src/int8-codec.js';
import { SyntheticFaces } from '../libs/vector-index/src/synthetic-faces.js';

export interface FaceGallery {
  dimension: number;
  /** n vectors, one after another. */
  vectors: Float32Array;
  /** Identity of each vector. */
  identities: Int32Array;
  /** Held-out queries: new samples of enrolled identities, one after another. */
  queries: Float32Array;
}

/**
 * `n` vectors of identities with 1–9 samples each (uniform), then `queries` new samples of
 * identities drawn uniformly among the enrolled vectors' identities (so an identity with more faces
 * is queried more often, as in use). SyntheticFaces' statistics are kept as they are: its noise
 * gives same-identity cosine ≈ 0.69 and strangers ≈ 0 at 128-D.
 */
export function faceGallery(n: number, dimension: number, queries: number, seed: number): FaceGallery {
  // At most ceil(n / 4) + 9 identities are needed unless the draws are very unlucky; the generator
  // makes every centre up front, so the count must not depend on the draws.
  const faces = new SyntheticFaces(dimension, Math.ceil(n / 4) + 9, seed);
  const random = seededRandom(seed + 1);
  const vectors = new Float32Array(n * dimension);
  const identities = new Int32Array(n);
  let identity = 0;
  for (let i = 0; i < n; identity++) {
    if (identity >= faces.centres.length) throw new Error('the gallery needs more identities than were made; try another seed');
    for (let s = 1 + Math.floor(random() * 9); s > 0 && i < n; s--, i++) {
      vectors.set(faces.sample(identity), i * dimension);
      identities[i] = identity;
    }
  }
  const held = new Float32Array(queries * dimension);
  for (let q = 0; q < queries; q++) held.set(faces.sample(identities[Math.floor(random() * n)]), q * dimension);
  return { dimension, vectors, identities, queries: held };
}

/** Every vector through the int8 codec and back (what the index holds when it is fed int8 embeddings). */
export function int8Restored(vectors: Float32Array, dimension: number): Float32Array {
  const restored = new Float32Array(vectors.length);
  for (let at = 0; at < vectors.length; at += dimension) restored.set(dequantizeInt8(quantizeInt8(vectors.subarray(at, at + dimension))), at);
  return restored;
}

export interface SimilarityStatistics {
  sameMedian: number;
  sameP5: number;
  sameP95: number;
  strangerMedian: number;
  strangerP999: number;
}

/** Cosine of `pairs` random same-identity pairs and as many stranger pairs. */
export function similarityStatistics({ vectors, identities, dimension }: FaceGallery, pairs: number, seed: number): SimilarityStatistics {
  const random = seededRandom(seed);
  const n = identities.length;
  const same: number[] = [];
  const strangers: number[] = [];
  for (let tries = 0; (same.length < pairs || strangers.length < pairs) && tries < pairs * 100; tries++) {
    const a = Math.floor(random() * n);
    // A neighbour in the gallery order is often the same identity (samples are consecutive).
    const b = random() < 0.5 ? Math.min(n - 1, a + 1 + Math.floor(random() * 8)) : Math.floor(random() * n);
    if (a === b) continue;
    const list = identities[a] === identities[b] ? same : strangers;
    if (list.length < pairs) list.push(dot(vectors, a * dimension, vectors, b * dimension, dimension));
  }
  const quantile = (values: number[], q: number) => values.sort((x, y) => x - y)[Math.min(values.length - 1, Math.floor(q * values.length))];
  return {
    sameMedian: quantile(same, 0.5),
    sameP5: quantile(same, 0.05),
    sameP95: quantile(same, 0.95),
    strangerMedian: quantile(strangers, 0.5),
    strangerP999: quantile(strangers, 0.999),
  };
}

function dot(a: Float32Array, at: number, b: Float32Array, bt: number, dimension: number): number {
  let s = 0;
  for (let i = 0; i < dimension; i++) s += a[at + i] * b[bt + i];
  return s;
}

/**
 * Exact inner-product search over vectors `from`…`to - 1` of `vectors` (labels are positions):
 * hnswlib's BruteforceSearch, a scan of every vector in C++ (several times the JS loop's speed), for
 * the ground truth and the brute-force engine.
 */
export function exactSearch(vectors: Float32Array, dimension: number, from = 0, to = vectors.length / dimension): hnswlib.BruteforceSearch {
  const scan = new hnswlib.BruteforceSearch('ip', dimension);
  scan.initIndex(Math.max(1, to - from));
  for (let i = from; i < to; i++) scan.addPoint(Array.from(vectors.subarray(i * dimension, (i + 1) * dimension)), i);
  return scan;
}
