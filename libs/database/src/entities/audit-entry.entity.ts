import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type AuditOutcome = 'ok' | 'error' | 'denied';

/** One request: ids and outcome only, never images, embeddings or names. */
@Entity('audit_log')
export class AuditEntryEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('uuid', { name: 'tenant_id', nullable: true }) tenantId: string | null;
  @Column('uuid', { name: 'key_id', nullable: true }) keyId: string | null;
  @Column('text') action: string;
  @Column('text') outcome: AuditOutcome;
  @Column('text', { name: 'error_code', nullable: true }) errorCode: string | null;
  @Column('uuid', { name: 'gallery_id', nullable: true }) galleryId: string | null;
  @Column('text', { name: 'target_id', nullable: true }) targetId: string | null;
  @Column('integer', { name: 'duration_ms' }) durationMs: number;
  @Column('jsonb', { nullable: true }) details: Record<string, unknown> | null;
}
