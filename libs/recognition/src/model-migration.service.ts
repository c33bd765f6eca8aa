import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode, notFound } from '../../common/src/index.js';
import { AppConfig } from '../../config/src/index.js';
import {
  DEFAULT_TENANT, GalleryRepository, MigrationProgress, ModelMigrationRecord, ModelMigrationRepository, TenantRepository,
} from '../../database/src/index.js';
import { FaceAnalysisService } from './face-analysis.service.js';
import { ModelEmbedders } from './model-embedders.service.js';

export interface StartModelMigrationCommand {
  tenantId: string;
  /** The space the faces are in; the serving embedder when omitted. */
  fromModelId?: string | null;
  toModelId: string;
  /** One gallery of the caller's tenant; every gallery of every tenant when omitted (the default tenant's admins only). */
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
    private readonly tenants: TenantRepository,
  ) {}

  async start(command: StartModelMigrationCommand): Promise<ModelMigrationView> {
    const fromModelId = command.fromModelId ?? this.analysis.embedderId;
    if (command.toModelId === fromModelId) throw new DomainException(ErrorCode.VALIDATION, `The faces are in ${fromModelId} already`);
    if (command.galleryId) await this.galleries.get(command.tenantId, command.galleryId);
    else await this.requirePlatformTenant(command.tenantId);
    await this.embedders.prepare(fromModelId);
    await this.embedders.prepare(command.toModelId);
    const migration = await this.migrations.create(
      { fromModelId, toModelId: command.toModelId, galleryId: command.galleryId ?? null, adapterId: command.adapterId ?? null },
      this.config.backfill.jobs,
    );
    return this.view(migration);
  }

  /** The migration, as the tenant may see it: one of its galleries', or (default tenant) any. */
  async get(tenantId: string, id: string): Promise<ModelMigrationView> {
    return this.view(await this.visible(tenantId, id));
  }

  /** Stops the backfill after the batches in hand; nothing done is lost. */
  async pause(tenantId: string, id: string): Promise<ModelMigrationView> {
    await this.visible(tenantId, id);
    return this.view(await this.migrations.transition(id, ['backfilling'], 'paused'));
  }

  async resume(tenantId: string, id: string): Promise<ModelMigrationView> {
    await this.visible(tenantId, id);
    return this.view(await this.migrations.transition(id, ['paused'], 'backfilling', this.config.backfill.jobs));
  }

  /**
   * One backfill batch of the migration by this worker; returns the faces it took (0: nothing left
   * for it, or the migration is not backfilling).
   */
  async backfillBatch(id: string, worker: string): Promise<number> {
    return this.migrations.backfillBatch(id, this.config.backfill.batchSize, worker, (toModelId, faces) => this.embedders.reembed(toModelId, faces));
  }

  /** Marks the backfill done when no face is left to embed; returns whether it did. */
  finishBackfill(id: string): Promise<boolean> {
    return this.migrations.markBackfilled(id);
  }

  /** Hands the rest of the backfill to a later job (a job must finish well within its expiry). */
  continueLater(id: string): Promise<void> {
    return this.migrations.continueLater(id);
  }

  /** Another tenant's migration answers NOT_FOUND, as an unknown id does. */
  private async visible(tenantId: string, id: string): Promise<ModelMigrationRecord> {
    const migration = await this.migrations.get(id);
    const platform = (await this.tenants.get(tenantId)).name === DEFAULT_TENANT;
    if (platform || (migration.galleryId && (await this.galleries.belongsTo(tenantId, migration.galleryId)))) return migration;
    throw notFound('Model migration', id);
  }

  private async requirePlatformTenant(tenantId: string): Promise<void> {
    if ((await this.tenants.get(tenantId)).name !== DEFAULT_TENANT) {
      throw new DomainException(ErrorCode.FORBIDDEN, `Only admins of the ${DEFAULT_TENANT} tenant migrate every gallery; name a gallery`);
    }
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
