import { AdapterMethod } from './adapter.store.js';
import { orthogonalProcrustes, ridgeLeastSquares } from './closed-form.js';
import { AffineMap } from './affine-map.js';
import { fromRows } from './linear-algebra.js';
import { EpochStats, PairedFaces, trainTripletAdapter, TripletTrainingOptions } from './triplet-trainer.js';

export interface FittedMap {
  map: AffineMap;
  /** Per epoch, for the triplet method. */
  epochs: EpochStats[];
  seconds: number;
}

/**
 * Fits a map from `faces.from` into `faces.to` with `method`: a closed-form baseline (orthogonal
 * Procrustes, ridge least squares) or the harmonic triplet trainer started from Procrustes.
 */
export function fitAdapterMap(method: AdapterMethod, faces: PairedFaces, triplet: TripletTrainingOptions): FittedMap {
  const started = performance.now();
  const from = fromRows(faces.from);
  const to = fromRows(faces.to);
  let map: AffineMap;
  let epochs: EpochStats[] = [];
  if (method === 'least-squares') map = ridgeLeastSquares(from, to);
  else {
    map = orthogonalProcrustes(from, to);
    if (method === 'triplet') ({ map, epochs } = trainTripletAdapter(faces, map, triplet));
  }
  return { map, epochs, seconds: (performance.now() - started) / 1000 };
}
