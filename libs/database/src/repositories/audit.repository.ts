import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditEntryEntity } from '../entities/index.js';
import { Page, PageRequest, paginate } from './pagination.js';

export type NewAuditEntry = Omit<AuditEntryEntity, 'id' | 'createdAt'>;

export interface AuditFilter {
  tenantId?: string;
  keyId?: string;
  action?: string;
  since?: Date;
  until?: Date;
}

@Injectable()
export class AuditRepository {
  constructor(private readonly dataSource: DataSource) {}

  async record(e: NewAuditEntry): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO audit_log (tenant_id, key_id, action, outcome, error_code, gallery_id, target_id, duration_ms, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [e.tenantId, e.keyId, e.action, e.outcome, e.errorCode, e.galleryId, e.targetId, e.durationMs, e.details],
    );
  }

  /** Entries oldest first (keyset pages stay stable while new entries arrive at the end). */
  list(filter: AuditFilter, page: PageRequest): Promise<Page<AuditEntryEntity>> {
    const query = this.dataSource.getRepository(AuditEntryEntity).createQueryBuilder('a').where('TRUE');
    if (filter.tenantId) query.andWhere('a.tenant_id = :tenantId', { tenantId: filter.tenantId });
    if (filter.keyId) query.andWhere('a.key_id = :keyId', { keyId: filter.keyId });
    if (filter.action) query.andWhere('a.action = :action', { action: filter.action });
    if (filter.since) query.andWhere('a.created_at >= :since', { since: filter.since });
    if (filter.until) query.andWhere('a.created_at < :until', { until: filter.until });
    return paginate(query, 'a', page);
  }

  /** Deletes entries older than `days` days; returns how many. */
  async purgeOlderThan(days: number): Promise<number> {
    const [, deleted]: [unknown, number] = await this.dataSource.query(
      `DELETE FROM audit_log WHERE created_at < now() - make_interval(days => $1)`,
      [days],
    );
    return deleted;
  }
}
