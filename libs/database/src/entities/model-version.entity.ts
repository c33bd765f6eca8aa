import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A detector or embedder known to this database, with the manifest it was loaded from. */
@Entity('model_versions')
export class ModelVersionEntity {
  @PrimaryColumn('text') id: string;
  @Column('text') version: string;
  @Column('text') kind: 'detector' | 'embedder';
  @Column('int', { nullable: true }) dimension: number | null;
  @Column('char', { length: 64 }) sha256: string;
  @Column('jsonb') manifest: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
