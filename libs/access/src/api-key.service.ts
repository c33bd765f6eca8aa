import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode } from '../../common/src/index.js';
import {
  ApiKeyEntity, ApiKeyRepository, ApiKeyRole, DEFAULT_TENANT, Page, PageRequest, TenantEntity, TenantRepository,
} from '../../database/src/index.js';
import { Principal } from './principal.js';

/** Keys read `frk_` + 43 base64url characters (256 random bits): greppable in leaked text, unguessable. */
const KEY_PREFIX = 'frk_';
const KEY_PATTERN = /^frk_[A-Za-z0-9_-]{43}$/;
/** Characters of a key kept in clear so people can tell keys apart in listings. */
const SHOWN_CHARACTERS = 12;

export interface CreatedApiKey {
  /** The secret: shown once, never stored (only its sha256 is). */
  key: string;
  apiKey: ApiKeyEntity;
}

export interface ApiKeyCreateCommand {
  tenant: string;
  role: ApiKeyRole;
  name: string;
}

/** sha256 is enough for 256-bit random secrets: nothing to brute-force, and lookups stay one index probe. */
const hashSecret = (key: string) => createHash('sha256').update(key).digest('hex');

@Injectable()
export class ApiKeyService {
  /** The default tenant cannot be erased, so its principal is looked up once. */
  private anonymous?: Promise<Principal>;

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly tenants: TenantRepository,
  ) {}

  /** Creates a key for the named tenant (created too if new). */
  async createKey(command: ApiKeyCreateCommand): Promise<CreatedApiKey> {
    const tenant = await this.tenants.findOrCreate(command.tenant);
    const key = KEY_PREFIX + randomBytes(32).toString('base64url');
    const apiKey = await this.keys.create({
      tenantId: tenant.id,
      role: command.role,
      name: command.name,
      prefix: key.slice(0, SHOWN_CHARACTERS),
      secretSha256: hashSecret(key),
    });
    return { key, apiKey };
  }

  /** The principal of an `Authorization: Bearer <key>` header; UNAUTHENTICATED when malformed, unknown or revoked. */
  async authenticate(authorization: string): Promise<Principal> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw new DomainException(ErrorCode.UNAUTHENTICATED, 'The Authorization header must be `Bearer <API key>`');
    if (!KEY_PATTERN.test(match[1])) throw unknownKey();
    const key = await this.keys.findActiveBySecret(hashSecret(match[1]));
    if (!key) throw unknownKey();
    const tenant = await this.tenants.get(key.tenantId);
    return { keyId: key.id, tenantId: tenant.id, tenantName: tenant.name, role: key.role };
  }

  /** Who a request without a key is when authentication is disabled: an admin of the default tenant. */
  anonymousPrincipal(): Promise<Principal> {
    this.anonymous ??= this.tenants.findOrCreate(DEFAULT_TENANT).then(
      (tenant) => ({ keyId: null, tenantId: tenant.id, tenantName: tenant.name, role: 'admin' as const }),
      (error: unknown) => {
        this.anonymous = undefined; // retry on the next request
        throw error;
      },
    );
    return this.anonymous;
  }

  listKeys(tenantId: string | undefined, page: PageRequest): Promise<Page<ApiKeyEntity>> {
    return this.keys.list(tenantId, page);
  }

  revokeKey(id: string): Promise<ApiKeyEntity> {
    return this.keys.revoke(id);
  }

  createTenant(name: string): Promise<TenantEntity> {
    return this.tenants.create(name);
  }

  getTenant(id: string): Promise<TenantEntity> {
    return this.tenants.get(id);
  }

  listTenants(page: PageRequest): Promise<Page<TenantEntity>> {
    return this.tenants.list(page);
  }
}

const unknownKey = () => new DomainException(ErrorCode.UNAUTHENTICATED, 'Unknown or revoked API key');
