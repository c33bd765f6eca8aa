import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A face's vector in one model's embedding space; its id is the label in that space's index. */
@Entity('embeddings')
export class EmbeddingEntity {
  /** bigint: TypeORM hands it over as a string. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column('uuid', { name: 'face_id' }) faceId: string;
  @Column('text', { name: 'model_version_id' }) modelVersionId: string;
  /** int8 codes, one byte per dimension (see encodeEmbedding). */
  @Column('bytea') codes: Buffer;
  @Column('real') scale: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
