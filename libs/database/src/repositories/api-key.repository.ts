import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notFound } from '../../../common/src/index.js';
import { ApiKeyEntity, ApiKeyRole } from '../entities/index.js';
import { Page, PageRequest, paginate } from './pagination.js';

export interface NewApiKey {
  tenantId: string;
  role: ApiKeyRole;
  name: string;
  prefix: string;
  secretSha256: string;
}

/** `last_used_at` is refreshed at most this often, so authentication does not write on every request. */
const LAST_USED_RESOLUTION = '1 minute';

@Injectable()
export class ApiKeyRepository {
  constructor(private readonly dataSource: DataSource) {}

  create(key: NewApiKey): Promise<ApiKeyEntity> {
    return this.dataSource.getRepository(ApiKeyEntity).save(key);
  }

  /** The unrevoked key with this secret hash, if any; marks it used. */
  async findActiveBySecret(secretSha256: string): Promise<ApiKeyEntity | null> {
    const key = await this.dataSource
      .getRepository(ApiKeyEntity)
      .createQueryBuilder('k')
      .where('k.secret_sha256 = :secretSha256 AND k.revoked_at IS NULL', { secretSha256 })
      .getOne();
    if (key) {
      await this.dataSource.query(
        `UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '${LAST_USED_RESOLUTION}')`,
        [key.id],
      );
    }
    return key;
  }

  list(tenantId: string | undefined, page: PageRequest): Promise<Page<ApiKeyEntity>> {
    const query = this.dataSource.getRepository(ApiKeyEntity).createQueryBuilder('k');
    if (tenantId) query.where('k.tenant_id = :tenantId', { tenantId });
    return paginate(query, 'k', page);
  }

  /** Revokes the key for good (idempotent); it stays listed with its revocation time. */
  async revoke(id: string): Promise<ApiKeyEntity> {
    await this.dataSource.query('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1', [id]);
    const key = await this.dataSource.getRepository(ApiKeyEntity).findOneBy({ id });
    if (!key) throw notFound('API key', id);
    return key;
  }
}
