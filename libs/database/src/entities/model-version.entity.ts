import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type ModelSource = 'bundled' | 'imported';
export type ModelStatus = 'validated' | 'active';

/** A detector or embedder known to this database, with its manifest (migration ModelRegistry1764900000000 says what each state means). */
@Entity('model_versions')
export class ModelVersionEntity {
  @PrimaryColumn('text') id: string;
  @Column('text') version: string;
  @Column('text') kind: 'detector' | 'embedder';
  @Column('int', { nullable: true }) dimension: number | null;
  @Column('char', { length: 64 }) sha256: string;
  @Column('jsonb') manifest: Record<string, unknown>;
  @Column('text') source: ModelSource;
  @Column('text') status: ModelStatus;
  /** File name under MODEL_STORE_DIR (imported models). */
  @Column('text', { name: 'stored_file', nullable: true }) storedFile: string | null;
  @Column('char', { name: 'stored_sha256', length: 64, nullable: true }) storedSha256: string | null;
  @Column('jsonb', { name: 'validation_report', nullable: true }) validationReport: Record<string, unknown> | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @Column('timestamptz', { name: 'validated_at', nullable: true }) validatedAt: Date | null;
  @Column('timestamptz', { name: 'activated_at', nullable: true }) activatedAt: Date | null;
}
