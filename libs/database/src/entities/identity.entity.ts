import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('identities')
export class IdentityEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'gallery_id' }) galleryId: string;
  @Column('text', { name: 'external_id' }) externalId: string;
  @Column('text', { name: 'display_name', nullable: true }) displayName: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
