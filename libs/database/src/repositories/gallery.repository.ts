import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import { DomainException, ErrorCode, notFound } from '../../../common/src/index.js';
import { GalleryEntity } from '../entities/index.js';
import { Page, PageRequest, paginate } from './pagination.js';
import { deleteEmbeddings } from './embedding.repository.js';
import { IndexRemoval, recordIndexChanges } from './index-change.repository.js';

const UNIQUE_VIOLATION = '23505';

export const isUniqueViolation = (error: unknown) =>
  error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION;

@Injectable()
export class GalleryRepository {
  constructor(private readonly dataSource: DataSource) {}

  async create(tenantId: string, name: string): Promise<GalleryEntity> {
    try {
      return await this.dataSource.getRepository(GalleryEntity).save({ tenantId, name });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainException(ErrorCode.ALREADY_EXISTS, `A gallery named ${JSON.stringify(name)} exists`, { name });
      throw error;
    }
  }

  /** The tenant's gallery; another tenant's is NOT_FOUND like a missing one, so ids cannot be probed. */
  async get(tenantId: string, id: string): Promise<GalleryEntity> {
    const gallery = await this.dataSource.getRepository(GalleryEntity).findOneBy({ id, tenantId });
    if (!gallery) throw notFound('Gallery', id);
    return gallery;
  }

  async belongsTo(tenantId: string, id: string): Promise<boolean> {
    return this.dataSource.getRepository(GalleryEntity).existsBy({ id, tenantId });
  }

  findByName(tenantId: string, name: string): Promise<GalleryEntity | null> {
    return this.dataSource.getRepository(GalleryEntity).findOneBy({ tenantId, name });
  }

  list(tenantId: string, page: PageRequest): Promise<Page<GalleryEntity>> {
    return paginate(this.dataSource.getRepository(GalleryEntity).createQueryBuilder('g').where('g.tenant_id = :tenantId', { tenantId }), 'g', page);
  }

  /** Deletes one of the tenant's galleries with all its identities, faces and embeddings; returns the removed index labels. */
  async delete(tenantId: string, id: string): Promise<IndexRemoval & { faceCount: number }> {
    return this.dataSource.transaction(async (em) => {
      const [gallery] = await em.query('SELECT id FROM galleries WHERE id = $1 AND tenant_id = $2 FOR UPDATE', [id, tenantId]);
      if (!gallery) throw notFound('Gallery', id);
      const labels = await deleteEmbeddings(em, 'f.gallery_id = $1', [id]);
      const [, faceCount]: [unknown, number] = await em.query('DELETE FROM faces WHERE gallery_id = $1', [id]);
      await em.query('DELETE FROM galleries WHERE id = $1', [id]);
      return { faceCount, labels, changeId: await recordIndexChanges(em, 'remove', labels) };
    });
  }
}
