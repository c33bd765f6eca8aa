import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { JsonScalar } from './json.scalar.js';
import { Connection } from './connection.model.js';

export enum RoleModel {
  reader = 'reader',
  operator = 'operator',
  admin = 'admin',
}
registerEnumType(RoleModel, {
  name: 'Role',
  description: 'reader: identify, verify, detect, read galleries. operator: also enroll and delete. admin: also tenants, API keys, audit log.',
});

@ObjectType('Tenant', { description: 'Owns galleries and API keys; no key reads or changes another tenant\'s data.' })
export class TenantModel {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field() createdAt: Date;
}

@ObjectType('TenantConnection')
export class TenantConnectionModel extends Connection(TenantModel) {}

@ObjectType('ApiKey', { description: 'An API key as listed: its secret is never shown again after creation.' })
export class ApiKeyModel {
  @Field(() => ID) id: string;
  @Field(() => ID) tenantId: string;
  @Field(() => RoleModel) role: RoleModel;
  @Field() name: string;
  @Field({ description: 'The first characters of the key, to tell keys apart.' }) prefix: string;
  @Field() createdAt: Date;
  @Field(() => Date, { nullable: true, description: 'Refreshed at most once a minute.' }) lastUsedAt: Date | null;
  @Field(() => Date, { nullable: true }) revokedAt: Date | null;
}

@ObjectType('ApiKeyConnection')
export class ApiKeyConnectionModel extends Connection(ApiKeyModel) {}

@ObjectType('ApiKeyCreated')
export class ApiKeyCreatedModel {
  @Field({ description: 'The secret to send as `Authorization: Bearer <key>`. Shown only here: store it now.' }) key: string;
  @Field(() => ApiKeyModel) apiKey: ApiKeyModel;
}

@ObjectType('Principal', { description: 'Who the current request acts as.' })
export class PrincipalModel {
  @Field(() => ID, { nullable: true, description: 'Null when authentication is disabled and no key was sent.' }) keyId: string | null;
  @Field(() => ID) tenantId: string;
  @Field() tenantName: string;
  @Field(() => RoleModel) role: RoleModel;
}

@ObjectType('AuditEntry', { description: 'One request: ids, outcome and timing; never images, embeddings or names.' })
export class AuditEntryModel {
  @Field(() => ID) id: string;
  @Field() createdAt: Date;
  @Field(() => ID, { nullable: true }) tenantId: string | null;
  @Field(() => ID, { nullable: true, description: 'Null for requests without a key (authentication disabled).' }) keyId: string | null;
  @Field({ description: 'The GraphQL field called, e.g. enrollFace, identify, eraseIdentity.' }) action: string;
  @Field({ description: 'ok, error or denied (the key\'s role did not allow it).' }) outcome: string;
  @Field(() => String, { nullable: true }) errorCode: string | null;
  @Field(() => ID, { nullable: true }) galleryId: string | null;
  @Field(() => String, { nullable: true, description: 'Id of the gallery, identity, face or key acted on.' }) targetId: string | null;
  @Field(() => Int) durationMs: number;
  @Field(() => JsonScalar, { nullable: true, description: 'Counts and matched identity ids.' }) details: Record<string, unknown> | null;
}

@ObjectType('AuditEntryConnection')
export class AuditEntryConnectionModel extends Connection(AuditEntryModel) {}

@ObjectType('ErasureResult')
export class ErasureResultModel {
  @Field(() => ID, { description: 'Id of what was erased; it refers to nothing from now on.' }) id: string;
  @Field(() => Int, { description: 'Faces removed with their aligned crops.' }) erasedFaces: number;
  @Field(() => Int, { description: 'Embeddings removed, across every model space.' }) erasedEmbeddings: number;
}

@ObjectType('TenantErasureResult')
export class TenantErasureResultModel extends ErasureResultModel {
  @Field(() => Int) erasedGalleries: number;
  @Field(() => Int) erasedIdentities: number;
  @Field(() => Int, { description: 'API keys of the tenant, deleted with it.' }) revokedApiKeys: number;
}
