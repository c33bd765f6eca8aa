import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../../config/src/index.js';
import { IndexChangeRepository } from '../../database/src/index.js';

const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

/** Deletes outbox changes older than INDEX_CHANGES_RETENTION_DAYS, at boot and hourly (every process; it is idempotent). */
@Injectable()
export class IndexChangeRetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(IndexChangeRetentionService.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    private readonly changes: IndexChangeRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.prune();
    this.timer = setInterval(() => void this.prune(), PRUNE_INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private async prune(): Promise<void> {
    const days = this.config.index.changeRetentionDays;
    try {
      const deleted = await this.changes.prune(days);
      if (deleted > 0) this.logger.log(`Deleted ${deleted} index changes older than ${days} days`);
    } catch (error) {
      this.logger.error(`Index change retention failed: ${(error as Error).message}`);
    }
  }
}
