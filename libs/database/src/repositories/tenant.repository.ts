import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainException, ErrorCode, notFound } from '../../../common/src/index.js';
import { TenantEntity } from '../entities/index.js';
import { deleteEmbeddings } from './embedding.repository.js';
import { isUniqueViolation } from './gallery.repository.js';
import { IndexRemoval, recordIndexChanges } from './index-change.repository.js';
import { Page, PageRequest, paginate } from './pagination.js';

/** The tenant that owns every gallery from before tenants, and acts when authentication is disabled. */
export const DEFAULT_TENANT = 'default';

export interface TenantErasure extends IndexRemoval {
  galleries: number;
  identities: number;
  faces: number;
  apiKeys: number;
}

@Injectable()
export class TenantRepository {
  constructor(private readonly dataSource: DataSource) {}

  async create(name: string): Promise<TenantEntity> {
    try {
      return await this.dataSource.getRepository(TenantEntity).save({ name });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainException(ErrorCode.ALREADY_EXISTS, `A tenant named ${JSON.stringify(name)} exists`, { name });
      throw error;
    }
  }

  async findOrCreate(name: string): Promise<TenantEntity> {
    await this.dataSource.query('INSERT INTO tenants (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
    return this.getByName(name);
  }

  async get(id: string): Promise<TenantEntity> {
    const tenant = await this.dataSource.getRepository(TenantEntity).findOneBy({ id });
    if (!tenant) throw notFound('Tenant', id);
    return tenant;
  }

  async getByName(name: string): Promise<TenantEntity> {
    const tenant = await this.dataSource.getRepository(TenantEntity).findOneBy({ name });
    if (!tenant) throw notFound('Tenant', name);
    return tenant;
  }

  list(page: PageRequest): Promise<Page<TenantEntity>> {
    return paginate(this.dataSource.getRepository(TenantEntity).createQueryBuilder('t'), 't', page);
  }

  /**
   * Erases the tenant in one transaction: its galleries, identities, faces, crops, embeddings of
   * every model space and API keys. Returns what went and the index labels to drop.
   */
  async erase(id: string): Promise<TenantErasure> {
    return this.dataSource.transaction(async (em) => {
      const [tenant] = await em.query('SELECT id, name FROM tenants WHERE id = $1 FOR UPDATE', [id]);
      if (!tenant) throw notFound('Tenant', id);
      if (tenant.name === DEFAULT_TENANT) {
        throw new DomainException(ErrorCode.VALIDATION, `The ${DEFAULT_TENANT} tenant cannot be erased; delete its galleries instead`);
      }
      const inTenant = 'f.gallery_id IN (SELECT id FROM galleries WHERE tenant_id = $1)';
      const labels = await deleteEmbeddings(em, inTenant, [id]);
      const [, faces]: [unknown, number] = await em.query(`DELETE FROM faces f WHERE ${inTenant}`, [id]);
      const [, identities]: [unknown, number] = await em.query(
        'DELETE FROM identities WHERE gallery_id IN (SELECT id FROM galleries WHERE tenant_id = $1)',
        [id],
      );
      const [, galleries]: [unknown, number] = await em.query('DELETE FROM galleries WHERE tenant_id = $1', [id]);
      const [, apiKeys]: [unknown, number] = await em.query('DELETE FROM api_keys WHERE tenant_id = $1', [id]);
      await em.query('DELETE FROM tenants WHERE id = $1', [id]);
      return { galleries, identities, faces, apiKeys, labels, changeId: await recordIndexChanges(em, 'remove', labels) };
    });
  }
}
