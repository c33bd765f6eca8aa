import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type ApiKeyRole = 'admin' | 'operator' | 'reader';

@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('text') role: ApiKeyRole;
  @Column('text') name: string;
  /** The key's first characters, shown in listings so a person can tell keys apart. */
  @Column('text') prefix: string;
  @Column('char', { name: 'secret_sha256', length: 64, select: false }) secretSha256: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'last_used_at', nullable: true }) lastUsedAt: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
}
