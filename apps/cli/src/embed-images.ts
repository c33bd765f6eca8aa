import { Logger } from '@nestjs/common';
import { AppConfig } from '../../../libs/config/src/index.js';
import { DEFAULT_EMBEDDING_CACHE_DIR, embedSubjectFaces, openSubjectEmbeddingCache } from '../../../libs/evaluation/src/index.js';
import { CropAlignment, FACE_ARCHIVE_ALIGNMENT, FacePipeline, readManifest } from '../../../libs/inference/src/index.js';
import { facePipelineOptions } from '../../../libs/recognition/src/index.js';
import { ParsedArgs, stringFlag, UsageError } from './commands/command.js';

/**
 * Embeds `images` through the API's pipeline (subject face) and releases the pipeline. Flags:
 * `--model ID` (embedder manifest), `--cache DIR` / `--no-cache`. The cache is keyed by both
 * manifests and the detection settings, so a changed pipeline never reads stale embeddings.
 * `--via archive|MODEL_ID`: embed each face from a crop of the platform's archive alignment (or that
 * model's), re-aligned for the embedder, as a model upgrade re-embeds stored faces.
 */
export async function embedImages(args: ParsedArgs, config: AppConfig, images: string[], label: string) {
  const options = { ...facePipelineOptions(config), embedderId: stringFlag(args, 'model', config.models.embedder) };
  const via = await viaAlignment(args, config);
  if (args.flags.has('cache') && args.flags.has('no-cache')) throw new UsageError('--cache and --no-cache exclude each other');
  const cacheDir = args.flags.has('no-cache') ? undefined : stringFlag(args, 'cache', DEFAULT_EMBEDDING_CACHE_DIR);
  const logger = new Logger(label);
  const pipeline = await FacePipeline.create(options, logger);
  const cache = cacheDir === undefined ? undefined : openSubjectEmbeddingCache(cacheDir, pipeline, options.detection, via?.alignment);
  if (cache) logger.log(`Embedding cache ${cache.path} (${cache.size} embeddings)`);
  const embedded = await embedSubjectFaces(pipeline, images, { cache, label, via: via?.alignment }).finally(async () => {
    cache?.close();
    await pipeline.release();
  });
  return { ...embedded, manifest: pipeline.embedder.manifest, via: via?.name };
}

async function viaAlignment(args: ParsedArgs, config: AppConfig): Promise<{ name: string; alignment: CropAlignment } | undefined> {
  if (!args.flags.has('via')) return undefined;
  const name = stringFlag(args, 'via');
  if (name === 'archive') return { name: FACE_ARCHIVE_ALIGNMENT.id, alignment: FACE_ARCHIVE_ALIGNMENT };
  return { name, alignment: (await readManifest(config.models.manifestDir, name, 'embedder')).alignment };
}
