import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../config/src/index.js';
import { BACKFILL_EMBEDDINGS, BackfillJob, JobQueue } from '../../database/src/index.js';
import { ModelMigrationService } from './model-migration.service.js';

/**
 * Works the backfill queue: each job runs batches of its migration until none is left (or the
 * migration is paused), then marks it backfilled. A job that has run for half the job expiry hands on
 * to a fresh job, so a long backfill is never mistaken for a dead worker; a job lost with its worker
 * expires and is retried, and the batches it committed stay done.
 */
@Injectable()
export class ModelBackfillWorker implements OnApplicationBootstrap {
  private readonly logger = new Logger(ModelBackfillWorker.name);

  constructor(
    private readonly config: AppConfig,
    private readonly queue: JobQueue,
    private readonly migrations: ModelMigrationService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.work<BackfillJob>(BACKFILL_EMBEDDINGS, ({ data }) => this.backfill(data.migrationId));
  }

  private async backfill(migrationId: string): Promise<void> {
    const worker = this.config.worker.name;
    const deadline = performance.now() + (this.config.jobs.expireSeconds * 1000) / 2;
    let faces = 0;
    for (;;) {
      const claimed = await this.migrations.backfillBatch(migrationId, worker);
      faces += claimed;
      if (claimed === 0) break;
      if (performance.now() > deadline) {
        await this.migrations.continueLater(migrationId);
        this.logger.log(`Migration ${migrationId}: ${faces} faces re-embedded by ${worker}, handing on`);
        return;
      }
    }
    if (await this.migrations.finishBackfill(migrationId)) this.logger.log(`Migration ${migrationId}: backfill complete`);
    else if (faces > 0) this.logger.log(`Migration ${migrationId}: ${faces} faces re-embedded by ${worker}`);
  }
}
