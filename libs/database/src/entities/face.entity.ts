import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One enrolled face: where it was in its photo, and its aligned crop (so later models can re-embed it). */
@Entity('faces')
export class FaceEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'identity_id' }) identityId: string;
  @Column('uuid', { name: 'gallery_id' }) galleryId: string;
  @Column('real', { name: 'box_x' }) boxX: number;
  @Column('real', { name: 'box_y' }) boxY: number;
  @Column('real', { name: 'box_width' }) boxWidth: number;
  @Column('real', { name: 'box_height' }) boxHeight: number;
  /** x0, y0, … x4, y4 in source pixels: eyes, nose tip, mouth corners. */
  @Column('real', { array: true }) landmarks: number[];
  @Column('real', { name: 'detector_score' }) detectorScore: number;
  @Column('text', { name: 'detector_model_id' }) detectorModelId: string;
  @Column('char', { name: 'source_sha256', length: 64 }) sourceSha256: string;
  @Column('int', { name: 'source_width' }) sourceWidth: number;
  @Column('int', { name: 'source_height' }) sourceHeight: number;
  @Column('bytea', { select: false }) crop: Buffer;
  @Column('text', { name: 'crop_format' }) cropFormat: string;
  /** Embedder manifest whose alignment template produced the crop. */
  @Column('text', { name: 'crop_template' }) cropTemplate: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
