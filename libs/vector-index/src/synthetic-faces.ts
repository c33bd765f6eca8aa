/**
 * Seeded face-like vectors for tests and benchmarks. Identities are random centres on the unit
 * sphere; a sample is the centre plus isotropic Gaussian noise, renormalised. With the default
 * noise (σ = 0.059 per dimension at 128-D), two samples of one identity have cosine ≈ 0.69 and
 * strangers ≈ 0 — the statistics of docs/vector-index-facts.md. Keep them fixed: easier data
 * would flatter the index.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s) || 1;
  for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

export class SyntheticFaces {
  private readonly random: () => number;
  readonly centres: Float32Array[] = [];

  constructor(readonly dimension: number, identities: number, seed: number, readonly noise = 0.059 * Math.sqrt(128 / dimension)) {
    this.random = seededRandom(seed);
    for (let i = 0; i < identities; i++) {
      this.centres.push(normalize(Float32Array.from({ length: dimension }, () => gaussian(this.random))));
    }
  }

  /** A new sample of identity `id`. */
  sample(id: number): Float32Array {
    const c = this.centres[id];
    return normalize(Float32Array.from(c, (x) => x + this.noise * gaussian(this.random)));
  }
}
