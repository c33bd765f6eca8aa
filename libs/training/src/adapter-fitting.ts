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
 * Fits an adapter from `faces.from` into `faces.to` with `method`: a closed-form baseline (orthogonal
 * Procrustes, ridge least squares) or the harmonic triplet trainer, started from the ridge map
 * (the better baseline) with `hidden` residual units (0: a purely affine adapter).
 */
export function fitAdapterMap(method: AdapterMethod, faces: PairedFaces, triplet: TripletTrainingOptions & { hidden: number }): FittedMap {
  const started = performance.now();
  const from = fromRows(faces.from);
  const to = fromRows(faces.to);
  let model: AdapterModel;
  let epochs: EpochStats[] = [];
  if (method === 'procrustes') model = orthogonalProcrustes(from, to);
  else {
    model = ridgeLeastSquares(from, to);
    if (method === 'triplet') {
      const initial = triplet.hidden > 0 ? withResidualLayer(model, triplet.hidden, triplet.seed) : model;
      ({ model, epochs } = trainTripletAdapter(faces, initial, triplet));
    }
  }
  return { model, epochs, seconds: (performance.now() - started) / 1000 };
}
