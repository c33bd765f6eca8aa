import { Logger } from '@nestjs/common';
import { AppConfig } from '../../../libs/config/src/index.js';
import { DEFAULT_EMBEDDING_CACHE_DIR, embedSubjectFaces, openSubjectEmbeddingCache } from '../../../libs/evaluation/src/index.js';
import { FacePipeline } from '../../../libs/inference/src/index.js';
import { facePipelineOptions } from '../../../libs/recognition/src/index.js';
import { ParsedArgs, stringFlag, UsageError } from './commands/command.js';

/**
 * Embeds `images` through the API's pipeline (subject face) and releases the pipeline. Flags:
 * `--model ID` (embedder manifest), `--cache DIR` / `--no-cache`. The cache is keyed by both
 * manifests and the detection settings, so a changed pipeline never reads stale embeddings.
 */
export async function embedImages(args: ParsedArgs, config: AppConfig, images: string[], label: string) {
  const options = { ...facePipelineOptions(config), embedderId: stringFlag(args, 'model', config.models.embedder) };
  if (args.flags.has('cache') && args.flags.has('no-cache')) throw new UsageError('--cache and --no-cache exclude each other');
  const cacheDir = args.flags.has('no-cache') ? undefined : stringFlag(args, 'cache', DEFAULT_EMBEDDING_CACHE_DIR);
  const logger = new Logger(label);
  const pipeline = await FacePipeline.create(options, logger);
  const cache = cacheDir === undefined ? undefined : openSubjectEmbeddingCache(cacheDir, pipeline, options.detection);
  if (cache) logger.log(`Embedding cache ${cache.path} (${cache.size} embeddings)`);
  const embedded = await embedSubjectFaces(pipeline, images, { cache, label }).finally(async () => {
    cache?.close();
    await pipeline.release();
  });
  return { ...embedded, manifest: pipeline.embedder.manifest };
}
