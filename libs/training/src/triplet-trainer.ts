import { dot, seededRandom } from '../../common/src/index.js';
import { AdapterModel, cloneModel, forward, parameterArrays } from './adapter-model.js';
import { mineSemiHardNegative } from './semi-hard-mining.js';

/** The same faces embedded by two models: face i is `from[i]` in the new space and `to[i]` in the old one. */
export interface PairedFaces {
  /** Identity of each face; faces of one identity are positives of each other, in both spaces. */
  identities: readonly string[];
  from: readonly Float32Array[];
  to: readonly Float32Array[];
}

export interface TripletTrainingOptions {
  seed: number;
  epochs: number;
  /** α of the triplet loss, on squared L2 distances of unit vectors (FaceNet: 0.2). */
  margin?: number;
  /** P identities × up to K faces per mini-batch (FaceNet samples ~40 faces per identity per batch; LFW has few). */
  identitiesPerBatch?: number;
  facesPerIdentity?: number;
  /** Adam's step size. */
  learningRate?: number;
  onEpoch?: (stats: EpochStats) => void;
}

export interface EpochStats {
  epoch: number;
  /** Mean triplet loss over every anchor–positive pair of the epoch's batches, before each batch's update. */
  loss: number;
  /** Anchor–positive pairs seen (both directions). */
  pairs: number;
  /** Shares of those pairs whose negative was semi-hard, or the fallback (all negatives closer than the positive). */
  semiHardShare: number;
  fallbackShare: number;
  seconds: number;
}

export interface TripletTrainingResult {
  model: AdapterModel;
  epochs: EpochStats[];
}

const DEFAULTS = { margin: 0.2, identitiesPerBatch: 32, facesPerIdentity: 4, learningRate: 2e-4 };
const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/**
 * Learns an adapter (an affine map x ↦ W·x + b, optionally with a residual layer) from the `from` space into the `to` space with FaceNet's triplet loss on
 * L2-normalised outputs, in its harmonic form (Schroff et al. 2015, §7): every triplet mixes the two
 * spaces, so that a mapped new-model embedding is compared with old-model embeddings exactly as it
 * will be at query time against an old gallery:
 *  - anchor W·xᵢ (mapped new), positive yⱼ and negative yₖ (old);
 *  - anchor yᵢ (old), positive W·xⱼ and negative W·xₖ (mapped new).
 * Mini-batches hold P identities × K faces (seeded); every anchor–positive pair of an identity is used,
 * the face with itself across the two spaces included, each with its online semi-hard negative from
 * the batch (`mineSemiHardNegative`). Gradients go through the normalisation; Adam updates every
 * parameter. Same data, initial model and options give the same model bit for bit.
 */
export function trainTripletAdapter(faces: PairedFaces, initial: AdapterModel, options: TripletTrainingOptions): TripletTrainingResult {
  const { margin, identitiesPerBatch, facesPerIdentity, learningRate } = { ...DEFAULTS, ...options };
  const n = faces.identities.length;
  if (faces.from.length !== n || faces.to.length !== n) throw new Error('identities, from and to must describe the same faces');
  if (identitiesPerBatch < 2) throw new Error('A batch needs at least 2 identities (negatives come from the batch)');
  const model = cloneModel(initial);
  const parameters = parameterArrays(model);
  // Adam's state, per parameter array.
  const firstMoment = parameters.map((p) => new Float64Array(p.length));
  const secondMoment = parameters.map((p) => new Float64Array(p.length));
  let step = 0;

  const facesOf = new Map<string, number[]>();
  faces.identities.forEach((id, i) => {
    const list = facesOf.get(id);
    if (list) list.push(i);
    else facesOf.set(id, [i]);
  });
  const identityIds = [...facesOf.keys()].sort();
  if (identityIds.length < 2) throw new Error('Triplet training needs faces of at least 2 identities');
  const random = seededRandom(options.seed);

  const epochs: EpochStats[] = [];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const started = performance.now();
    const order = shuffled(identityIds, random);
    let lossSum = 0, pairs = 0, semiHard = 0, fallback = 0;
    for (let start = 0; start + 1 < order.length; start += identitiesPerBatch) {
      const batchIds = order.slice(start, start + identitiesPerBatch);
      if (batchIds.length < 2) continue;
      const batch: number[] = [];
      const label: number[] = [];
      batchIds.forEach((id, l) => {
        for (const face of shuffled(facesOf.get(id)!, random).slice(0, facesPerIdentity)) {
          batch.push(face);
          label.push(l);
        }
      });
      const result = harmonicTripletBatch(faces, model, batch, label, margin);
      lossSum += result.lossSum;
      pairs += result.pairs;
      semiHard += result.semiHard;
      fallback += result.fallback;
      // Adam on the mean loss of the batch.
      step++;
      const scale = 1 / result.pairs;
      const correction1 = 1 - ADAM.beta1 ** step;
      const correction2 = 1 - ADAM.beta2 ** step;
      parameters.forEach((values, a) => {
        const gradient = result.gradients[a];
        const m = firstMoment[a];
        const v = secondMoment[a];
        for (let i = 0; i < values.length; i++) {
          const g = gradient[i] * scale;
          m[i] = ADAM.beta1 * m[i] + (1 - ADAM.beta1) * g;
          v[i] = ADAM.beta2 * v[i] + (1 - ADAM.beta2) * g * g;
          values[i] -= (learningRate * (m[i] / correction1)) / (Math.sqrt(v[i] / correction2) + ADAM.epsilon);
        }
      });
    }
    const stats: EpochStats = {
      epoch,
      loss: lossSum / pairs,
      pairs,
      semiHardShare: semiHard / pairs,
      fallbackShare: fallback / pairs,
      seconds: (performance.now() - started) / 1000,
    };
    epochs.push(stats);
    options.onEpoch?.(stats);
  }
  return { model, epochs };
}

/**
 * Summed harmonic triplet loss of one batch (faces `batch`, identity `label[i]` of `batch[i]`) and its
 * gradient with respect to each of `parameterArrays(model)`.
 */
export function harmonicTripletBatch(faces: PairedFaces, model: AdapterModel, batch: number[], label: number[], margin: number) {
  const dTo = model.weights.rows;
  const size = batch.length;
  // Mapped new-model embeddings: z = model(x), u = z / |z|.
  const mapped = batch.map((face) => {
    const { z, hidden } = forward(model, faces.from[face]);
    const norm = Math.sqrt(dot(z, z));
    return { u: z.map((v) => v / norm), norm, hidden };
  });
  const old = batch.map((face) => faces.to[face]);
  // distance[i][j] = |uᵢ − yⱼ|² = 2 − 2 uᵢ·yⱼ (mapped i against old j); byOld is its transpose.
  const distance = mapped.map(({ u }) => Float64Array.from(old, (y) => 2 - 2 * dot(u, y)));
  const byOld = old.map((_, j) => Float64Array.from(mapped, (_m, i) => distance[i][j]));
  const gradU = mapped.map(() => new Float64Array(dTo));
  let lossSum = 0, pairs = 0, semiHard = 0, fallback = 0;
  const addTo = (target: Float64Array, sign: number, y: ArrayLike<number>) => {
    for (let r = 0; r < dTo; r++) target[r] += sign * 2 * y[r];
  };
  for (let i = 0; i < size; i++) {
    const isNegative = (k: number) => label[k] !== label[i];
    for (let j = 0; j < size; j++) {
      if (label[j] !== label[i]) continue;
      // Anchor: mapped i; positive: old j; negative: old k. d = 2 − 2 u·y, so ∂d/∂u = −2y.
      pairs++;
      const dPositive = distance[i][j];
      const fromMapped = mineSemiHardNegative(dPositive, distance[i], isNegative, margin);
      if (fromMapped) {
        if (fromMapped.kind === 'semi-hard') semiHard++;
        else fallback++;
        lossSum += dPositive - fromMapped.distance + margin;
        addTo(gradU[i], -1, old[j]);
        addTo(gradU[i], 1, old[fromMapped.index]);
      }
      // Anchor: old i; positive: mapped j; negative: mapped k.
      pairs++;
      const dPositiveOld = byOld[i][j];
      const fromOld = mineSemiHardNegative(dPositiveOld, byOld[i], isNegative, margin);
      if (fromOld) {
        if (fromOld.kind === 'semi-hard') semiHard++;
        else fallback++;
        lossSum += dPositiveOld - fromOld.distance + margin;
        addTo(gradU[j], -1, old[i]);
        addTo(gradU[fromOld.index], 1, old[i]);
      }
    }
  }
  // Through the normalisation, ∂u/∂z = (I − u uᵀ) / |z|, then through the model.
  const gradients = parameterArrays(model).map((p) => new Float64Array(p.length));
  mapped.forEach(({ u, norm, hidden }, i) => {
    const g = gradU[i];
    const along = dot(g, u);
    const gz = Float64Array.from(u, (ur, r) => (g[r] - along * ur) / norm);
    backward(model, faces.from[batch[i]], hidden, gz, gradients);
  });
  return { lossSum, pairs, semiHard, fallback, gradients };
}

/** Adds ∂L/∂parameters for one input x, given ∂L/∂z, to `gradients` (ordered as `parameterArrays`). */
function backward(model: AdapterModel, x: ArrayLike<number>, hidden: Float64Array, gz: Float64Array, gradients: Float64Array[]): void {
  const outer = (into: Float64Array, left: ArrayLike<number>, right: ArrayLike<number>) => {
    for (let r = 0; r < left.length; r++) {
      const l = left[r];
      if (l === 0) continue;
      const row = r * right.length;
      for (let c = 0; c < right.length; c++) into[row + c] += l * right[c];
    }
  };
  const [gW, gb, gU, gc, gV] = gradients;
  outer(gW, gz, x); // z = W·x + b + …
  for (let r = 0; r < gz.length; r++) gb[r] += gz[r];
  const residual = model.residual;
  if (!residual) return;
  outer(gV, gz, hidden); // … + V·h, h = relu(U·x + c)
  const { outWeights: v } = residual;
  const gh = new Float64Array(hidden.length);
  for (let k = 0; k < hidden.length; k++) {
    if (hidden[k] <= 0) continue; // relu: no gradient where the unit is off
    let sum = 0;
    for (let r = 0; r < v.rows; r++) sum += v.data[r * v.cols + k] * gz[r];
    gh[k] = sum;
  }
  outer(gU, gh, x);
  for (let k = 0; k < gh.length; k++) gc[k] += gh[k];
}

/** A Fisher–Yates shuffled copy. */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}
