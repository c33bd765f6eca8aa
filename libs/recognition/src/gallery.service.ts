import { Injectable } from '@nestjs/common';
import {
  FaceRepository, GalleryEntity, GalleryRepository, IdentityEntity, IdentityRepository, Page, PageRequest,
} from '../../database/src/index.js';
import { FaceIndexService } from './face-index.service.js';
import { FaceRecord, toFaceRecord } from './recognition.types.js';

export interface DeletionResult {
  id: string;
  deletedFaces: number;
}

/** Galleries, identities and faces as stored; every deletion also leaves the index. */
@Injectable()
export class GalleryService {
  constructor(
    private readonly galleries: GalleryRepository,
    private readonly identities: IdentityRepository,
    private readonly faces: FaceRepository,
    private readonly index: FaceIndexService,
  ) {}

  createGallery(name: string): Promise<GalleryEntity> {
    return this.galleries.create(name);
  }

  /** The gallery of that name, created when there is none; `created` tells which. */
  async galleryNamed(name: string): Promise<{ gallery: GalleryEntity; created: boolean }> {
    const existing = await this.galleries.findByName(name);
    return existing ? { gallery: existing, created: false } : { gallery: await this.galleries.create(name), created: true };
  }

  /** sha256 of the photos enrolled in the gallery, by identity externalId. */
  enrolledSources(galleryId: string): Promise<Map<string, Set<string>>> {
    return this.faces.sourceHashesByExternalId(galleryId);
  }

  getGallery(id: string): Promise<GalleryEntity> {
    return this.galleries.get(id);
  }

  listGalleries(page: PageRequest): Promise<Page<GalleryEntity>> {
    return this.galleries.list(page);
  }

  async listIdentities(galleryId: string, page: PageRequest): Promise<Page<IdentityEntity>> {
    await this.galleries.get(galleryId);
    return this.identities.list(galleryId, page);
  }

  getIdentity(galleryId: string, externalId: string): Promise<IdentityEntity> {
    return this.identities.getByExternalId(galleryId, externalId);
  }

  async facesOf(identityId: string): Promise<FaceRecord[]> {
    return (await this.identities.faces(identityId)).map(toFaceRecord);
  }

  async deleteGallery(id: string): Promise<DeletionResult> {
    const { faceCount, labels } = await this.galleries.delete(id);
    this.index.remove(labels);
    return { id, deletedFaces: faceCount };
  }

  async deleteIdentity(id: string): Promise<DeletionResult> {
    const { faceCount, labels } = await this.identities.delete(id);
    this.index.remove(labels);
    return { id, deletedFaces: faceCount };
  }

  async deleteFace(id: string): Promise<DeletionResult> {
    const { labels } = await this.faces.delete(id);
    this.index.remove(labels);
    return { id, deletedFaces: 1 };
  }
}
