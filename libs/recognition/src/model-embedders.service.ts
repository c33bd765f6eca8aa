import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { DomainException, ErrorCode } from '../../common/src/index.js';
import { AppConfig } from '../../config/src/index.js';
import { ModelVersionRepository } from '../../database/src/index.js';
import {
  CropAlignment, decodeCrop, EmbedderManifest, FACE_ARCHIVE_ALIGNMENT, FaceEmbedder, ModelFileError, readManifest, readModelFile, readStoredModelFile, realignCrop,
  RgbImage,
} from '../../inference/src/index.js';
import { facePipelineOptions, storedEmbedder } from './face-pipeline.options.js';

/** A stored face to re-embed: its crop (any format libvips reads), the alignment it was cut to, and its landmarks in the photo. */
export interface StoredCrop {
  crop: Uint8Array;
  cropTemplate: string;
  landmarks: number[];
}

/** The re-embedded face, or why it could not be. */
export type ReembedOutcome = { vector: Float32Array } | { failure: string };

/**
 * Embedders other than the serving one, loaded on first use and kept: the target of a model
 * migration, fed from the crops stored with each face. Each is recorded in `model_versions`.
 */
@Injectable()
export class ModelEmbedders implements OnApplicationShutdown {
  private readonly logger = new Logger(ModelEmbedders.name);
  private readonly loaded = new Map<string, Promise<FaceEmbedder>>();

  constructor(
    private readonly config: AppConfig,
    private readonly modelVersions: ModelVersionRepository,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    const embedders = await Promise.allSettled(this.loaded.values());
    await Promise.all(embedders.map((e) => (e.status === 'fulfilled' ? e.value.release() : undefined)));
  }

  /**
   * The embedder's manifest, its file checked (present, right sha256), and its model version recorded
   * (imported models are, by the registry); MODEL_UNAVAILABLE saying how to get it otherwise.
   */
  async prepare(modelId: string): Promise<EmbedderManifest> {
    return (await this.load(modelId)).manifest;
  }

  /** The manifest and checked file: an imported model's from the model registry's store, a bundled one's from MODEL_MANIFEST_DIR. */
  private async load(modelId: string): Promise<{ manifest: EmbedderManifest; file: Uint8Array }> {
    try {
      const stored = storedEmbedder(this.config, await this.modelVersions.find(modelId));
      if (stored) return { manifest: stored.manifest, file: await readStoredModelFile(stored) };
      const manifest = await readManifest(this.config.models.manifestDir, modelId, 'embedder');
      const file = await readModelFile(facePipelineOptions(this.config), manifest);
      await this.modelVersions.upsert({ id: manifest.id, version: manifest.version, kind: 'embedder', dimension: manifest.output.dimension, sha256: manifest.sha256, manifest });
      return { manifest, file };
    } catch (error) {
      if (error instanceof ModelFileError) throw new DomainException(ErrorCode.MODEL_UNAVAILABLE, error.message, { modelId });
      throw error;
    }
  }

  /** Embeds stored faces with `modelId`, each re-aligned from its stored crop (see realignCrop). */
  async reembed(modelId: string, faces: StoredCrop[]): Promise<ReembedOutcome[]> {
    const embedder = await this.embedder(modelId);
    const outcomes: ReembedOutcome[] = new Array(faces.length);
    const crops: { index: number; crop: RgbImage }[] = [];
    for (const [index, face] of faces.entries()) {
      try {
        const alignment = await this.alignmentOf(face.cropTemplate);
        const landmarks = Array.from({ length: 5 }, (_, i) => ({ x: face.landmarks[2 * i], y: face.landmarks[2 * i + 1] }));
        const { crop, coverage } = realignCrop(await decodeCrop(face.crop), alignment, landmarks, embedder.manifest.alignment);
        if (coverage < this.config.backfill.minCropCoverage) {
          outcomes[index] = { failure: `CROP_TOO_NARROW: the stored ${face.cropTemplate} crop covers ${(100 * coverage).toFixed(1)}% of ${modelId}'s crop` };
        } else {
          crops.push({ index, crop });
        }
      } catch (error) {
        outcomes[index] = { failure: `CROP_UNREADABLE: ${(error as Error).message.split('\n')[0]}` };
      }
    }
    const vectors = await embedder.embed(crops.map((c) => c.crop));
    crops.forEach(({ index }, i) => (outcomes[index] = { vector: vectors[i] }));
    return outcomes;
  }

  private embedder(modelId: string): Promise<FaceEmbedder> {
    let embedder = this.loaded.get(modelId);
    if (!embedder) {
      embedder = (async () => {
        const { manifest, file } = await this.load(modelId);
        const options = facePipelineOptions(this.config);
        return FaceEmbedder.create(manifest, file, options.session, options.embedBatchSize, this.logger);
      })();
      this.loaded.set(modelId, embedder);
      embedder.catch(() => this.loaded.delete(modelId));
    }
    return embedder;
  }

  /** The alignment a stored crop was cut to: the archive's, or (crops stored before it) the embedder's own. */
  private async alignmentOf(cropTemplate: string): Promise<CropAlignment> {
    if (cropTemplate === FACE_ARCHIVE_ALIGNMENT.id) return FACE_ARCHIVE_ALIGNMENT;
    return (await readManifest(this.config.models.manifestDir, cropTemplate, 'embedder')).alignment;
  }
}
