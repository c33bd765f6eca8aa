import { AdapterMethod } from './adapter.store.js';
import { orthogonalProcrustes, ridgeLeastSquares } from './closed-form.js';
import { AdapterModel, withResidualLayer } from './adapter-model.js';
import { fromRows } from './linear-algebra.js';
import { EpochStats, PairedFaces, trainTripletAdapter, TripletTrainingOptions } from './triplet-trainer.js';

export interface FittedMap {
  model: AdapterModel;
  /** Per epoch, for the triplet method. */
  epochs: EpochStats[];
  seconds: number;
}

/**
 * Below this many training faces per source dimension the triplet trainer starts from Procrustes
 * rather than ridge: ridge fits every one of W's dTo × dFrom entries and nearly interpolates a small
 * set (115 LFW faces: ridge 71.7% held out, Procrustes 87.2%), while on all of LFW (12,000 faces)
 * ridge is the better start (96.3% against 92.9%).
 */
export const RIDGE_MIN_FACES_PER_DIMENSION = 10;

/**
 * Fits an adapter from `faces.from` into `faces.to` with `method`: a closed-form baseline (orthogonal
 * Procrustes, ridge least squares) or the harmonic triplet trainer with `hidden` residual units
 * (0: a purely affine adapter), started from the closed form that suits the amount of data.
 */
export function fitAdapterMap(method: AdapterMethod, faces: PairedFaces, triplet: TripletTrainingOptions & { hidden: number }): FittedMap {
  const started = performance.now();
  const from = fromRows(faces.from);
  const to = fromRows(faces.to);
  let model: AdapterModel;
  let epochs: EpochStats[] = [];
  if (method === 'procrustes') model = orthogonalProcrustes(from, to);
  else if (method === 'least-squares') model = ridgeLeastSquares(from, to);
  else {
    const start = from.rows >= RIDGE_MIN_FACES_PER_DIMENSION * from.cols ? ridgeLeastSquares(from, to) : orthogonalProcrustes(from, to);
    const initial = triplet.hidden > 0 ? withResidualLayer(start, triplet.hidden, triplet.seed) : start;
    ({ model, epochs } = trainTripletAdapter(faces, initial, triplet));
  }
  return { model, epochs, seconds: (performance.now() - started) / 1000 };
}
