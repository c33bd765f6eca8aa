import { DomainException, ErrorCode } from '../../common/src/index.js';
import { EmbedderManifest } from '../../inference/src/index.js';

/** The threshold a decision used, and the false-accept rate it was calibrated for (null for a raw threshold). */
export interface DecisionThreshold {
  squaredDistance: number;
  far: number | null;
}

export interface ThresholdRequest {
  /** Raw squared-distance threshold; wins over `far`. */
  threshold?: number | null;
  /** Target false-accept rate, e.g. 0.001. */
  far?: number | null;
}

/**
 * Turns a request into a threshold: a raw threshold as given; a target FAR through the model's
 * calibration table, taking the strictest calibrated rate not above the target (so the promise
 * "at most this FAR" holds); neither → the configured default FAR.
 */
export function resolveThreshold(
  calibration: EmbedderManifest['threshold'],
  request: ThresholdRequest,
  defaultFar: number,
): DecisionThreshold {
  if (request.threshold != null) return { squaredDistance: request.threshold, far: null };
  const table = Object.entries(calibration.falseAcceptRates ?? {})
    .map(([far, entry]) => ({ far: Number(far), squaredDistance: entry.squaredDistance }))
    .sort((a, b) => b.far - a.far);
  if (table.length === 0) return { squaredDistance: calibration.squaredDistance, far: calibration.far ?? null };
  const target = request.far ?? defaultFar;
  const chosen = table.find((entry) => entry.far <= target);
  if (!chosen) {
    throw new DomainException(
      ErrorCode.VALIDATION,
      `far ${target} is below the smallest calibrated false-accept rate of this model (${table[table.length - 1].far})`,
      { calibratedFars: table.map((e) => e.far) },
    );
  }
  return { squaredDistance: chosen.squaredDistance, far: chosen.far };
}
