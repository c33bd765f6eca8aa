import { ApiKeyEntity } from './api-key.entity.js';
import { AuditEntryEntity } from './audit-entry.entity.js';
import { EmbeddingEntity } from './embedding.entity.js';
import { FaceEntity } from './face.entity.js';
import { GalleryEntity } from './gallery.entity.js';
import { IdentityEntity } from './identity.entity.js';
import { ModelVersionEntity } from './model-version.entity.js';
import { TenantEntity } from './tenant.entity.js';

export type { ApiKeyRole } from './api-key.entity.js';
export type { ModelSource, ModelStatus } from './model-version.entity.js';
export type { AuditOutcome } from './audit-entry.entity.js';
export { ApiKeyEntity, AuditEntryEntity, EmbeddingEntity, FaceEntity, GalleryEntity, IdentityEntity, ModelVersionEntity, TenantEntity };
export const ENTITIES = [TenantEntity, ApiKeyEntity, AuditEntryEntity, GalleryEntity, IdentityEntity, FaceEntity, EmbeddingEntity, ModelVersionEntity];
