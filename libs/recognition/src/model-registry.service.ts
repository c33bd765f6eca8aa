import { Injectable, Logger } from '@nestjs/common';
import { DomainException, ErrorCode } from '../../common/src/index.js';
import { AppConfig } from '../../config/src/index.js';
import { DEFAULT_TENANT, ModelVersionRepository, ModelVersionRow, TenantRepository } from '../../database/src/index.js';
import {
  EmbedderManifest, ModelImportError, ModelImportFailure, parseEmbedderManifest, validateEmbedderImport,
} from '../../inference/src/index.js';
import { FaceAnalysisService } from './face-analysis.service.js';
import { ModelFileStore } from './model-file.store.js';
import { ProbeFaceSource } from './probe-face.source.js';

/** An embedder's calibrated thresholds, its false-accept rates as a list (lowest threshold first). */
export interface ModelThresholdView {
  squaredDistance: number;
  far: number | null;
  falseAcceptRates: Array<{ far: number; squaredDistance: number; tar: number }>;
  accuracyOptimal: number | null;
  source: string;
}

export interface ModelVersionView extends ModelVersionRow {
  /** The manifest's calibrated decision thresholds (embedders). */
  threshold: ModelThresholdView | null;
  /** Whether this process runs it (the embedder every gallery is served with, or the detector). */
  serving: boolean;
}

export interface ModelActivation {
  model: ModelVersionView;
  /** The gallery pinned to the model; null when it was made active platform-wide. */
  galleryId: string | null;
  /** Whether this process already serves the scope with the model (otherwise: after a restart, see setActiveModel). */
  servedNow: boolean;
}

/** An imported model's file: bytes sent with the request (`truncated`: cut off at the upload limit), or a file in MODEL_IMPORT_DIR. */
export type ModelFileSource = { bytes: Uint8Array; truncated?: boolean } | { importPath: string };

/**
 * The model registry: imports ONNX embedders after validating them on real faces, lists model
 * versions, and records which embedder is active, platform-wide or per gallery. Models are
 * platform-wide: admins of any tenant import and list them (the API's resolver says so; an import
 * changes nothing until it is made active), a gallery is found only in the caller's tenant, as for
 * every data operation, and only the default tenant's admins switch the platform-wide model.
 */
@Injectable()
export class ModelRegistryService {
  private readonly logger = new Logger(ModelRegistryService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly models: ModelVersionRepository,
    private readonly files: ModelFileStore,
    private readonly probes: ProbeFaceSource,
    private readonly analysis: FaceAnalysisService,
    private readonly tenants: TenantRepository,
  ) {}

  /**
   * Validates and stores an embedder brought with its manifest. A refused import (MODEL_INVALID
   * with `details.reason`, ALREADY_EXISTS, VALIDATION) leaves no row and no file.
   */
  async register(manifestJson: unknown, source: ModelFileSource): Promise<ModelVersionView> {
    const manifest = await translateImportErrors(async () => parseEmbedderManifest(manifestJson));
    if (this.files.isBundled(manifest.id)) {
      throw new DomainException(ErrorCode.ALREADY_EXISTS, `${JSON.stringify(manifest.id)} is a bundled model (MODEL_MANIFEST_DIR); choose another id`, { id: manifest.id });
    }
    await this.models.assertIdFree(manifest.id);
    const bytes = 'bytes' in source ? uploaded(source) : await this.files.readImport(source.importPath);
    const { model, report } = await translateImportErrors(async () =>
      validateEmbedderImport(manifest, bytes, await this.probes.probes(), {
        session: { executionProviders: this.config.models.executionProviders, intraOpThreads: this.config.models.intraOpThreads },
        logger: this.logger,
      }),
    );
    const storedFile = this.files.newFileName(manifest.id);
    try {
      const row = await this.models.insertImported(
        {
          id: manifest.id, version: manifest.version, kind: 'embedder', dimension: manifest.output.dimension, sha256: manifest.sha256, manifest,
          storedFile, storedSha256: report.storedSha256, validationReport: report,
        },
        () => this.files.write(storedFile, model),
      );
      this.logger.log(`Imported model ${manifest.id} (${manifest.output.dimension}-D, batch ${report.batchDimension}) in ${report.durationMs} ms`);
      return this.view(row);
    } catch (error) {
      await this.files.remove(storedFile);
      throw error;
    }
  }

  async list(): Promise<ModelVersionView[]> {
    return (await this.models.list()).map((row) => this.view(row));
  }

  async get(id: string): Promise<ModelVersionView> {
    return this.view(await this.models.get(id));
  }

  /**
   * Records `modelId` as the active embedder, platform-wide (no gallery: the default tenant's admins
   * only) or for one of the tenant's galleries; MODEL_NOT_READY while a face it would serve lacks an
   * embedding in its space (a model migration backfills them).
   * Processes load the global one at boot; a pinned gallery is recorded for the per-gallery
   * serving that model migration brings, and is served with the global model until then.
   */
  async activate(modelId: string, tenantId: string, galleryId: string | null): Promise<ModelActivation> {
    // As for model migrations of every gallery: what changes every tenant is the platform tenant's call.
    if (!galleryId && (await this.tenants.get(tenantId)).name !== DEFAULT_TENANT) {
      throw new DomainException(ErrorCode.FORBIDDEN, `Only admins of the ${DEFAULT_TENANT} tenant make a model active platform-wide; name a gallery`);
    }
    const row = await this.models.activate(modelId, galleryId ? { global: false, tenantId, galleryId } : { global: true });
    this.logger.log(`Model ${modelId} made active ${galleryId ? `for gallery ${galleryId}` : 'platform-wide'}`);
    return { model: this.view(row), galleryId, servedNow: row.id === this.analysis.embedderId };
  }

  private view(row: ModelVersionRow): ModelVersionView {
    const { threshold } = row.manifest as Partial<EmbedderManifest>;
    return {
      ...row,
      threshold: row.kind === 'embedder' && threshold ? thresholdView(threshold) : null,
      serving: row.id === this.analysis.embedderId || row.id === this.analysis.detectorId,
    };
  }
}

function thresholdView(threshold: EmbedderManifest['threshold']): ModelThresholdView {
  const rates = Object.entries(threshold.falseAcceptRates ?? {}).map(([far, rate]) => ({ far: Number(far), ...rate }));
  return {
    squaredDistance: threshold.squaredDistance,
    far: threshold.far ?? null,
    falseAcceptRates: rates.sort((a, b) => a.squaredDistance - b.squaredDistance),
    accuracyOptimal: threshold.accuracyOptimal ?? null,
    source: threshold.source,
  };
}

function uploaded(source: { bytes: Uint8Array; truncated?: boolean }): Uint8Array {
  if (source.truncated) {
    throw new DomainException(ErrorCode.MODEL_INVALID, 'The upload is larger than MAX_UPLOAD_BYTES: copy the file into MODEL_IMPORT_DIR on the server and pass `path`', {
      reason: ModelImportFailure.TOO_LARGE,
    });
  }
  return source.bytes;
}

/** ModelImportError → MODEL_INVALID, its failure as `details.reason`. */
async function translateImportErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof ModelImportError)) throw error;
    throw new DomainException(ErrorCode.MODEL_INVALID, error.message, { reason: error.failure, ...error.details });
  }
}
