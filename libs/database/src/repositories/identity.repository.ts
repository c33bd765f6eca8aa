import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notFound } from '../../../common/src/index.js';
import { FaceEntity, IdentityEntity } from '../entities/index.js';
import { deleteEmbeddings } from './embedding.repository.js';
import { IndexRemoval, recordIndexChanges } from './index-change.repository.js';
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

  /**
   * Deletes one of the tenant's identities with its faces, crops and embeddings in every model
   * space; returns the removed index labels. Another tenant's identity is NOT_FOUND.
   */
  async delete(tenantId: string, id: string): Promise<IndexRemoval & { identity: IdentityEntity; faceCount: number }> {
    return this.dataSource.transaction(async (em) => {
      const [owned] = await em.query(
        'SELECT i.id FROM identities i JOIN galleries g ON g.id = i.gallery_id WHERE i.id = $1 AND g.tenant_id = $2 FOR UPDATE OF i',
        [id, tenantId],
      );
      if (!owned) throw notFound('Identity', id);
      const identity = await em.getRepository(IdentityEntity).findOneByOrFail({ id });
      const labels = await deleteEmbeddings(em, 'f.identity_id = $1', [id]);
      const [, faceCount]: [unknown, number] = await em.query('DELETE FROM faces WHERE identity_id = $1', [id]);
      await em.query('DELETE FROM identities WHERE id = $1', [id]);
      return { identity, faceCount, labels, changeId: await recordIndexChanges(em, 'remove', labels) };
    });
  }
}
