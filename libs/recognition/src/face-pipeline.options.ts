import { join } from 'node:path';
import { AppConfig } from '../../config/src/index.js';
import type { ModelVersionRow } from '../../database/src/index.js';
import { EmbedderManifest, FacePipelineOptions, StoredEmbedder } from '../../inference/src/index.js';

/**
 * The inference engine's options as the validated configuration sets them (API, CLI and jobs alike).
 * `activeEmbedder`, the registry's active model, replaces EMBEDDER_MODEL; an imported one is read
 * from the model store.
 */
export function facePipelineOptions(config: AppConfig, activeEmbedder?: ModelVersionRow | null): FacePipelineOptions {
  const { models, detection, limits } = config;
  const stored = storedEmbedder(config, activeEmbedder);
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

/** An imported model version as the engine loads it from the model store; undefined for bundled ones (or none). */
export function storedEmbedder(config: AppConfig, row?: ModelVersionRow | null): StoredEmbedder | undefined {
  if (!row?.storedFile || !row.storedSha256) return undefined;
  return { manifest: row.manifest as unknown as EmbedderManifest, path: join(config.models.storeDir, row.storedFile), sha256: row.storedSha256 };
}
