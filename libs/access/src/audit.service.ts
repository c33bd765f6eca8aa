import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../../config/src/index.js';
import { AuditEntryEntity, AuditFilter, AuditRepository, NewAuditEntry, Page, PageRequest } from '../../database/src/index.js';

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/** The audit trail: one entry per request, kept AUDIT_RETENTION_DAYS (purged at boot and hourly). */
@Injectable()
export class AuditService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AuditService.name);
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    private readonly audit: AuditRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.audit.retentionDays === 0) return;
    await this.purge();
    this.purgeTimer = setInterval(() => void this.purge(), PURGE_INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.purgeTimer);
  }

  record(entry: NewAuditEntry): Promise<void> {
    return this.audit.record(entry);
  }

  list(filter: AuditFilter, page: PageRequest): Promise<Page<AuditEntryEntity>> {
    return this.audit.list(filter, page);
  }

  private async purge(): Promise<void> {
    try {
      const deleted = await this.audit.purgeOlderThan(this.config.audit.retentionDays);
      if (deleted > 0) this.logger.log(`Deleted ${deleted} audit entries older than ${this.config.audit.retentionDays} days`);
    } catch (error) {
      this.logger.error(`Audit retention purge failed: ${(error as Error).message}`);
    }
  }
}
