import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ApiKeyService, AuditService } from '../../../../libs/access/src/index.js';
import type { Principal } from '../../../../libs/access/src/index.js';
import { GalleryService } from '../../../../libs/recognition/src/index.js';
import { CurrentPrincipal, RequireRole } from '../auth/access.decorators.js';
import { ApiKeyCreateInput, ApiKeysArgs, AuditLogArgs, TenantCreateInput } from './inputs/access.inputs.js';
import { IdArgs, PageArgs } from './inputs/page.args.js';
import {
  ApiKeyConnectionModel, ApiKeyCreatedModel, ApiKeyModel, AuditEntryConnectionModel, PrincipalModel, TenantConnectionModel, TenantErasureResultModel,
  TenantModel,
} from './models/access.model.js';

/** Administration across tenants: tenants, API keys and the audit log (admin role). */
@Resolver()
export class AccessResolver {
  constructor(
    private readonly keys: ApiKeyService,
    private readonly audit: AuditService,
    private readonly galleries: GalleryService,
  ) {}

  @Query(() => PrincipalModel, { description: 'The key, tenant and role this request acts as.' })
  @RequireRole('reader')
  me(@CurrentPrincipal() principal: Principal) {
    return principal;
  }

  @Query(() => TenantConnectionModel)
  @RequireRole('admin')
  tenants(@Args() page: PageArgs) {
    return this.keys.listTenants({ first: page.first, after: page.after ?? undefined });
  }

  @Mutation(() => TenantModel)
  @RequireRole('admin')
  createTenant(@Args('input') input: TenantCreateInput) {
    return this.keys.createTenant(input.name);
  }

  @Mutation(() => TenantErasureResultModel, {
    description: 'Erases a tenant with all its galleries, identities, faces, crops, embeddings and API keys. Not the caller\'s own tenant, nor `default`.',
  })
  @RequireRole('admin')
  eraseTenant(@Args() { id }: IdArgs, @CurrentPrincipal() principal: Principal) {
    return this.galleries.eraseTenant(id, principal.tenantId);
  }

  @Query(() => ApiKeyConnectionModel)
  @RequireRole('admin')
  apiKeys(@Args() args: ApiKeysArgs) {
    return this.keys.listKeys(args.tenantId ?? undefined, { first: args.first, after: args.after ?? undefined });
  }

  @Mutation(() => ApiKeyCreatedModel, { description: 'Creates a key; its secret is in this answer only.' })
  @RequireRole('admin')
  createApiKey(@Args('input') input: ApiKeyCreateInput) {
    return this.keys.createKey({ tenant: input.tenant, role: input.role, name: input.name });
  }

  @Mutation(() => ApiKeyModel, { description: 'Revokes a key at once and for good.' })
  @RequireRole('admin')
  revokeApiKey(@Args() { id }: IdArgs) {
    return this.keys.revokeKey(id);
  }

  @Query(() => AuditEntryConnectionModel, { description: 'The audit trail, oldest first, kept AUDIT_RETENTION_DAYS.' })
  @RequireRole('admin')
  auditLog(@Args() args: AuditLogArgs) {
    return this.audit.list(
      { tenantId: args.tenantId ?? undefined, keyId: args.keyId ?? undefined, action: args.action ?? undefined, since: args.since ?? undefined, until: args.until ?? undefined },
      { first: args.first, after: args.after ?? undefined },
    );
  }
}
