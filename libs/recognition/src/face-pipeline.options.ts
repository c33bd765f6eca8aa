import { AppConfig } from '../../config/src/index.js';
import { FacePipelineOptions } from '../../inference/src/index.js';

/** The inference engine's options as the validated configuration sets them (API, CLI and jobs alike). */
export function facePipelineOptions(config: AppConfig): FacePipelineOptions {
  const { models, detection, limits } = config;
  return {
    modelDir: models.dir,
    generatedModelDir: models.generatedDir,
    manifestDir: models.manifestDir,
    detectorId: models.detector,
    embedderId: models.embedder,
    session: { executionProviders: models.executionProviders, intraOpThreads: models.intraOpThreads },
    embedBatchSize: models.embedBatchSize,
    detection,
    limits: { maxBytes: limits.maxUploadBytes, maxPixels: limits.maxImagePixels },
  };
}
