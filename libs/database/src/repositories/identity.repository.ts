import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notFound } from '../../../common/src/index.js';
import { FaceEntity, IdentityEntity } from '../entities/index.js';
import { EmbeddingLabel } from './embedding.repository.js';
import { Page, PageRequest, paginate } from './pagination.js';

@Injectable()
export class IdentityRepository {
  constructor(private readonly dataSource: DataSource) {}

  async getByExternalId(galleryId: string, externalId: string): Promise<IdentityEntity> {
    const identity = await this.dataSource.getRepository(IdentityEntity).findOneBy({ galleryId, externalId });
    if (!identity) throw notFound('Identity', externalId);
    return identity;
  }

  async findByIds(ids: string[]): Promise<Map<string, IdentityEntity>> {
    if (ids.length === 0) return new Map();
    const rows = await this.dataSource.getRepository(IdentityEntity).createQueryBuilder('i').where('i.id IN (:...ids)', { ids }).getMany();
    return new Map(rows.map((r) => [r.id, r]));
  }

  list(galleryId: string, page: PageRequest): Promise<Page<IdentityEntity>> {
    const query = this.dataSource.getRepository(IdentityEntity).createQueryBuilder('i').where('i.gallery_id = :galleryId', { galleryId });
    return paginate(query, 'i', page);
  }

  async faces(identityId: string): Promise<FaceEntity[]> {
    return this.dataSource.getRepository(FaceEntity).find({ where: { identityId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** Deletes the identity with its faces and embeddings; returns the removed index labels. */
  async delete(id: string): Promise<{ identity: IdentityEntity; faceCount: number; labels: EmbeddingLabel[] }> {
    return this.dataSource.transaction(async (em) => {
      const identity = await em.getRepository(IdentityEntity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!identity) throw notFound('Identity', id);
      const [labels]: [EmbeddingLabel[], number] = await em.query(
        `DELETE FROM embeddings e USING faces f WHERE e.face_id = f.id AND f.identity_id = $1
         RETURNING e.id AS "label", e.model_version_id AS "modelVersionId"`,
        [id],
      );
      const [, faceCount]: [unknown, number] = await em.query('DELETE FROM faces WHERE identity_id = $1', [id]);
      await em.query('DELETE FROM identities WHERE id = $1', [id]);
      return { identity, faceCount, labels: labels.map((l) => ({ ...l, label: Number(l.label) })) };
    });
  }
}
