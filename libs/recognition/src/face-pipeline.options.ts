import { join } from 'node:path';
import { AppConfig } from '../../config/src/index.js';
import type { ModelVersionRow } from '../../database/src/index.js';
import { EmbedderManifest, FacePipelineOptions } from '../../inference/src/index.js';

/**
 * The inference engine's options as the validated configuration sets them (API, CLI and jobs alike).
 * `activeEmbedder`, the registry's active model, replaces EMBEDDER_MODEL; an imported one is read
 * from the model store.
 */
export function facePipelineOptions(config: AppConfig, activeEmbedder?: ModelVersionRow | null): FacePipelineOptions {
  const { models, detection, limits } = config;
  const stored = activeEmbedder?.storedFile && activeEmbedder.storedSha256
    ? { manifest: activeEmbedder.manifest as unknown as EmbedderManifest, path: join(models.storeDir, activeEmbedder.storedFile), sha256: activeEmbedder.storedSha256 }
    : undefined;
  return {
    modelDir: models.dir,
    generatedModelDir: models.generatedDir,
    manifestDir: models.manifestDir,
    detectorId: models.detector,
    embedderId: activeEmbedder?.id ?? models.embedder,
    ...(stored ? { storedEmbedder: stored } : {}),
    session: { executionProviders: models.executionProviders, intraOpThreads: models.intraOpThreads },
    embedBatchSize: models.embedBatchSize,
    detection,
    limits: { maxBytes: limits.maxUploadBytes, maxPixels: limits.maxImagePixels },
  };
}
