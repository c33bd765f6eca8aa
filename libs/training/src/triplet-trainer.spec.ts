import { dot } from '../../common/src/index.js';
import { londonPairedFaces } from '../../../test/support/paired-embeddings.js';
import { AdapterModel, applyAdapter, cloneModel, parameterArrays, withResidualLayer } from './adapter-model.js';
import { orthogonalProcrustes } from './closed-form.js';
import { fromRows } from './linear-algebra.js';
import { mineSemiHardNegative } from './semi-hard-mining.js';
import { harmonicTripletBatch, PairedFaces, trainTripletAdapter } from './triplet-trainer.js';

/**
 * The harmonic triplet trainer on real faces: 30 London people, neutral and smiling, embedded by
 * MobileFaceNet (new) and dlib's ResNet (old).
 */
describe('trainTripletAdapter on real embeddings (London Set, MobileFaceNet → dlib)', () => {
  let faces: PairedFaces;
  let initial: AdapterModel;
  const margin = 0.2;
  const options = { epochs: 12, identitiesPerBatch: 8, facesPerIdentity: 2, learningRate: 1e-3 };

  beforeAll(async () => {
    faces = await londonPairedFaces(30);
    initial = orthogonalProcrustes(fromRows(faces.from), fromRows(faces.to));
  });

  it('mines, on real mapped embeddings, negatives farther than the positive and within the margin, the closest such', () => {
    const mapped = faces.from.map((x) => applyAdapter(initial, x));
    const kinds = { 'semi-hard': 0, fallback: 0, none: 0 };
    for (let i = 0; i < mapped.length; i++) {
      // Anchor: mapped new-model face i; candidates: every old-model face.
      const distances = faces.to.map((y) => 2 - 2 * dot(mapped[i], y));
      const isNegative = (k: number) => faces.identities[k] !== faces.identities[i];
      for (let j = 0; j < mapped.length; j++) {
        if (isNegative(j)) continue;
        const positive = distances[j];
        const negatives = distances.filter((_, k) => isNegative(k));
        const mined = mineSemiHardNegative(positive, distances, isNegative, margin);
        kinds[mined?.kind ?? 'none']++;
        if (mined?.kind === 'semi-hard') {
          expect(isNegative(mined.index)).toBe(true);
          expect(mined.distance).toBeGreaterThan(positive);
          expect(mined.distance).toBeLessThan(positive + margin);
          expect(negatives.filter((d) => d > positive && d < mined.distance)).toEqual([]);
        } else if (mined?.kind === 'fallback') {
          expect(Math.max(...negatives)).toBe(mined.distance);
          expect(mined.distance).toBeLessThanOrEqual(positive);
        } else {
          expect(Math.min(...negatives.filter((d) => d > positive))).toBeGreaterThanOrEqual(positive + margin);
        }
      }
    }
    // Real data exercise the semi-hard case (and a Procrustes start leaves pairs of each kind).
    expect(kinds['semi-hard']).toBeGreaterThan(10);
  });

  it.each([['an affine adapter', 0], ['an adapter with a residual layer', 16]])(
    'computes the gradient of the batch loss for %s (finite differences through the normalisation)', (_name, hidden) => {
      const model = hidden === 0 ? initial : withResidualLayer(initial, hidden as number, 5);
      // A residual layer starts silent (V = 0); give V values so that every path carries gradient.
      if (model.residual) model.residual.outWeights.data.forEach((_, k, v) => (v[k] = 0.05 * Math.sin(k)));
      const batch = Array.from({ length: 16 }, (_, i) => i);
      const label = batch.map((i) => Math.floor(i / 2));
      const { gradients, lossSum } = harmonicTripletBatch(faces, model, batch, label, margin);
      expect(lossSum).toBeGreaterThan(0);
      const step = 1e-6;
      parameterArrays(model).forEach((values, a) => {
        // The largest gradients of each array, so that the check is not vacuous, and one more.
        const picked = [...gradients[a].keys()].sort((x, y) => Math.abs(gradients[a][y]) - Math.abs(gradients[a][x])).slice(0, 3);
        picked.push(values.length - 1);
        for (const p of picked) {
          const nudged = (delta: number): number => {
            const copy = cloneModel(model);
            parameterArrays(copy)[a][p] += delta;
            return harmonicTripletBatch(faces, copy, batch, label, margin).lossSum;
          };
          const numeric = (nudged(step) - nudged(-step)) / (2 * step);
          expect(Math.abs(numeric - gradients[a][p])).toBeLessThan(1e-5 + 1e-4 * Math.abs(gradients[a][p]));
        }
        expect(Math.abs(gradients[a][picked[0]])).toBeGreaterThan(1e-4);
      });
    },
  );

  it('lowers the loss over the epochs', () => {
    const { epochs } = trainTripletAdapter(faces, initial, { ...options, seed: 7 });
    expect(epochs).toHaveLength(12);
    expect(epochs.at(-1)!.loss).toBeLessThan(0.5 * epochs[0].loss);
    for (const e of epochs) expect(e.semiHardShare + e.fallbackShare).toBeLessThanOrEqual(1);
  });

  it('is deterministic with a seed, and the seed matters', () => {
    const run = (seed: number) => trainTripletAdapter(faces, initial, { ...options, epochs: 3, seed });
    const first = run(3);
    const again = run(3);
    expect(again.model).toEqual(first.model);
    expect(again.epochs.map((e) => e.loss)).toEqual(first.epochs.map((e) => e.loss));
    expect(run(4).model.weights.data).not.toEqual(first.model.weights.data);
  });

  it('leaves the initial map untouched and refuses a batch of one identity', () => {
    const before = Float64Array.from(initial.weights.data);
    trainTripletAdapter(faces, initial, { ...options, epochs: 1, seed: 1 });
    expect(initial.weights.data).toEqual(before);
    expect(() => trainTripletAdapter(faces, initial, { ...options, seed: 1, identitiesPerBatch: 1 })).toThrow(
      'A batch needs at least 2 identities (negatives come from the batch)',
    );
  });
});
