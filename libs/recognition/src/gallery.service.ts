import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode } from '../../common/src/index.js';
import {
  FaceRepository, GalleryEntity, GalleryRepository, IdentityEntity, IdentityRepository, Page, PageRequest,
  TenantRepository,
} from '../../database/src/index.js';
import { FaceIndex } from './face-index.port.js';
import { FaceRecord, GalleryScope, toFaceRecord } from './recognition.types.js';

export interface DeletionResult {
  id: string;
  deletedFaces: number;
}

export interface ErasureResult {
  /** The erased identity's (or tenant's) id, meaningless from now on. */
  id: string;
  erasedFaces: number;
  /** Embeddings removed across every model space. */
  erasedEmbeddings: number;
}

export interface TenantErasureResult extends ErasureResult {
  erasedGalleries: number;
  erasedIdentities: number;
  revokedApiKeys: number;
}

/**
 * Galleries, identities and faces as stored, always within one tenant (another tenant's ids are
 * NOT_FOUND). Every deletion is one transaction that also records its index changes; each process's
 * index drops the entries after the commit, this one's before answering.
 */
@Injectable()
export class GalleryService {
  constructor(
    private readonly tenants: TenantRepository,
    private readonly galleries: GalleryRepository,
    private readonly identities: IdentityRepository,
    private readonly faces: FaceRepository,
    private readonly index: FaceIndex,
  ) {}

  createGallery(tenantId: string, name: string): Promise<GalleryEntity> {
    return this.galleries.create(tenantId, name);
  }

  /** The tenant's gallery of that name, created when there is none; `created` tells which. */
  async galleryNamed(tenantId: string, name: string): Promise<{ gallery: GalleryEntity; created: boolean }> {
    const existing = await this.galleries.findByName(tenantId, name);
    return existing ? { gallery: existing, created: false } : { gallery: await this.galleries.create(tenantId, name), created: true };
  }

  /** sha256 of the photos enrolled in the gallery, by identity externalId. */
  enrolledSources(galleryId: string): Promise<Map<string, Set<string>>> {
    return this.faces.sourceHashesByExternalId(galleryId);
  }

  getGallery(tenantId: string, id: string): Promise<GalleryEntity> {
    return this.galleries.get(tenantId, id);
  }

  listGalleries(tenantId: string, page: PageRequest): Promise<Page<GalleryEntity>> {
    return this.galleries.list(tenantId, page);
  }

  async listIdentities(scope: GalleryScope, page: PageRequest): Promise<Page<IdentityEntity>> {
    await this.galleries.get(scope.tenantId, scope.galleryId);
    return this.identities.list(scope.galleryId, page);
  }

  async getIdentity(scope: GalleryScope, externalId: string): Promise<IdentityEntity> {
    await this.galleries.get(scope.tenantId, scope.galleryId);
    return this.identities.getByExternalId(scope.galleryId, externalId);
  }

  /** Faces of an identity already resolved within the caller's tenant. */
  async facesOf(identityId: string): Promise<FaceRecord[]> {
    return (await this.identities.faces(identityId)).map(toFaceRecord);
  }

  async deleteGallery(tenantId: string, id: string): Promise<DeletionResult> {
    const { faceCount, changeId } = await this.galleries.delete(tenantId, id);
    await this.index.catchUp(changeId);
    return { id, deletedFaces: faceCount };
  }

  async deleteIdentity(tenantId: string, id: string): Promise<DeletionResult> {
    const { erasedFaces } = await this.eraseIdentityById(tenantId, id);
    return { id, deletedFaces: erasedFaces };
  }

  async deleteFace(tenantId: string, id: string): Promise<DeletionResult> {
    const { changeId } = await this.faces.delete(tenantId, id);
    await this.index.catchUp(changeId);
    return { id, deletedFaces: 1 };
  }

  /**
   * A data subject's erasure request, addressed the way the client knows the person: the identity,
   * its faces, aligned crops and embeddings in every model space go in one transaction, then leave
   * every process's index. Nothing else holds them: photos are never stored, only their sha256 on the
   * face row, and the outbox names embeddings by id only.
   */
  async eraseIdentity(scope: GalleryScope, externalId: string): Promise<ErasureResult> {
    const identity = await this.getIdentity(scope, externalId);
    return this.eraseIdentityById(scope.tenantId, identity.id);
  }

  /** Erases a tenant with everything it owns, API keys included; never the caller's own (it would lock them out). */
  async eraseTenant(tenantId: string, callerTenantId: string): Promise<TenantErasureResult> {
    if (tenantId === callerTenantId) throw new DomainException(ErrorCode.VALIDATION, 'A key cannot erase its own tenant; use a key of another tenant');
    const erased = await this.tenants.erase(tenantId);
    await this.index.catchUp(erased.changeId);
    return {
      id: tenantId,
      erasedGalleries: erased.galleries,
      erasedIdentities: erased.identities,
      erasedFaces: erased.faces,
      erasedEmbeddings: erased.labels.length,
      revokedApiKeys: erased.apiKeys,
    };
  }

  private async eraseIdentityById(tenantId: string, id: string): Promise<ErasureResult> {
    const { faceCount, labels, changeId } = await this.identities.delete(tenantId, id);
    await this.index.catchUp(changeId);
    return { id, erasedFaces: faceCount, erasedEmbeddings: labels.length };
  }
}
