import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode } from '../../common/src/index.js';
import { AppConfig } from '../../config/src/index.js';
import { GalleryRepository, MigrationProgress, ModelMigrationRecord, ModelMigrationRepository } from '../../database/src/index.js';
import { FaceAnalysisService } from './face-analysis.service.js';
import { ModelEmbedders } from './model-embedders.service.js';

export interface StartModelMigrationCommand {
  tenantId: string;
  /** The space the faces are in; the serving embedder when omitted. */
  fromModelId?: string | null;
  toModelId: string;
  /** One gallery of the caller's tenant; every gallery of every tenant when omitted. */
  galleryId?: string | null;
  adapterId?: string | null;
}

export interface ModelMigrationView extends ModelMigrationRecord {
  progress: MigrationProgress & { facesPerSecond: number };
  /** When the backfill should be done at the rate so far (null when done, paused or not started). */
  eta: Date | null;
}

/**
 * Moves faces to a new embedding space without re-enrolling anyone: stored crops are re-embedded by
 * the new model in the background (pg-boss jobs that any number of worker processes share), and the
 * migration can be paused and resumed at any point. Serving from the new space (dual read, cutover,
 * rollback) builds on the backfilled embeddings.
 */
@Injectable()
export class ModelMigrationService {
  constructor(
    private readonly config: AppConfig,
    private readonly migrations: ModelMigrationRepository,
    private readonly embedders: ModelEmbedders,
    private readonly analysis: FaceAnalysisService,
    private readonly galleries: GalleryRepository,
  ) {}

  async start(command: StartModelMigrationCommand): Promise<ModelMigrationView> {
    const fromModelId = command.fromModelId ?? this.analysis.embedderId;
    if (command.toModelId === fromModelId) throw new DomainException(ErrorCode.VALIDATION, `The faces are in ${fromModelId} already`);
    if (command.galleryId) await this.galleries.get(command.tenantId, command.galleryId);
    await this.embedders.prepare(fromModelId);
    await this.embedders.prepare(command.toModelId);
    const migration = await this.migrations.create(
      { fromModelId, toModelId: command.toModelId, galleryId: command.galleryId ?? null, adapterId: command.adapterId ?? null },
      this.config.backfill.jobs,
    );
    return this.view(migration);
  }

  async get(id: string): Promise<ModelMigrationView> {
    return this.view(await this.migrations.get(id));
  }

  /** Stops the backfill after the batches in hand; nothing done is lost. */
  async pause(id: string): Promise<ModelMigrationView> {
    return this.view(await this.migrations.transition(id, ['backfilling'], 'paused'));
  }

  async resume(id: string): Promise<ModelMigrationView> {
    return this.view(await this.migrations.transition(id, ['paused'], 'backfilling', this.config.backfill.jobs));
  }

  /**
   * One backfill batch of the migration by this worker; returns the faces it took (0: nothing left
   * for it, or the migration is not backfilling).
   */
  async backfillBatch(id: string, worker: string): Promise<number> {
    const { toModelId } = await this.migrations.get(id);
    return this.migrations.backfillBatch(id, this.config.backfill.batchSize, worker, (faces) => this.embedders.reembed(toModelId, faces));
  }

  /** Marks the backfill done when no face is left to embed; returns whether it did. */
  finishBackfill(id: string): Promise<boolean> {
    return this.migrations.markBackfilled(id);
  }

  /** Hands the rest of the backfill to a later job (a job must finish well within its expiry). */
  continueLater(id: string): Promise<void> {
    return this.migrations.continueLater(id);
  }

  private async view(migration: ModelMigrationRecord): Promise<ModelMigrationView> {
    const progress = await this.migrations.progress(migration.id);
    const end = migration.backfilledAt ?? new Date();
    const seconds = Math.max(1e-3, (end.getTime() - migration.startedAt.getTime()) / 1000);
    const facesPerSecond = progress.done / seconds;
    const left = progress.total - progress.done - progress.failed;
    const eta = migration.status === 'backfilling' && left > 0 && facesPerSecond > 0 ? new Date(Date.now() + (left / facesPerSecond) * 1000) : null;
    return { ...migration, progress: { ...progress, facesPerSecond }, eta };
  }
}
