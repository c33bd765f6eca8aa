import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import { DomainException, ErrorCode, notFound } from '../../../common/src/index.js';
import { GalleryEntity } from '../entities/index.js';
import { Page, PageRequest, paginate } from './pagination.js';
import { EmbeddingLabel } from './embedding.repository.js';

const UNIQUE_VIOLATION = '23505';

export const isUniqueViolation = (error: unknown) =>
  error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION;

@Injectable()
export class GalleryRepository {
  constructor(private readonly dataSource: DataSource) {}

  async create(name: string): Promise<GalleryEntity> {
    try {
      return await this.dataSource.getRepository(GalleryEntity).save({ name });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainException(ErrorCode.ALREADY_EXISTS, `A gallery named ${JSON.stringify(name)} exists`, { name });
      throw error;
    }
  }

  async get(id: string): Promise<GalleryEntity> {
    const gallery = await this.dataSource.getRepository(GalleryEntity).findOneBy({ id });
    if (!gallery) throw notFound('Gallery', id);
    return gallery;
  }

  findByName(name: string): Promise<GalleryEntity | null> {
    return this.dataSource.getRepository(GalleryEntity).findOneBy({ name });
  }

  list(page: PageRequest): Promise<Page<GalleryEntity>> {
    return paginate(this.dataSource.getRepository(GalleryEntity).createQueryBuilder('g'), 'g', page);
  }

  /** Deletes a gallery with all its identities, faces and embeddings; returns the removed index labels. */
  async delete(id: string): Promise<{ faceCount: number; labels: EmbeddingLabel[] }> {
    return this.dataSource.transaction(async (em) => {
      const [labels]: [EmbeddingLabel[], number] = await em.query(
        `DELETE FROM embeddings e USING faces f WHERE e.face_id = f.id AND f.gallery_id = $1
         RETURNING e.id::int8 AS "label", e.model_version_id AS "modelVersionId"`,
        [id],
      );
      const [, faceCount]: [unknown, number] = await em.query('DELETE FROM faces WHERE gallery_id = $1', [id]);
      const [, affected]: [unknown, number] = await em.query('DELETE FROM galleries WHERE id = $1', [id]);
      if (!affected) throw notFound('Gallery', id);
      return { faceCount, labels: labels.map((l) => ({ ...l, label: Number(l.label) })) };
    });
  }
}
