import { l2NormalizeInPlace as normalize, seededRandom } from '../../common/src/index.js';

/** Standard normal sample (Box–Muller). */
export function gaussian(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * Seeded face-like vectors for tests and benchmarks. Identities are random centres on the unit
 * sphere; a sample is the centre plus isotropic Gaussian noise, renormalised. With the default
 * noise (σ = 0.059 per dimension at 128-D), two samples of one identity have cosine ≈ 0.69 and
 * strangers ≈ 0 — the statistics of docs/vector-index-facts.md. Keep them fixed: easier data
 * would flatter the index.
 */
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
