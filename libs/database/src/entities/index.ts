import { EmbeddingEntity } from './embedding.entity.js';
import { FaceEntity } from './face.entity.js';
import { GalleryEntity } from './gallery.entity.js';
import { IdentityEntity } from './identity.entity.js';
import { ModelVersionEntity } from './model-version.entity.js';

export { EmbeddingEntity, FaceEntity, GalleryEntity, IdentityEntity, ModelVersionEntity };
export const ENTITIES = [GalleryEntity, IdentityEntity, FaceEntity, EmbeddingEntity, ModelVersionEntity];
