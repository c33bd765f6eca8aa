import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode } from '../../common/src/index.js';
import { AppConfig } from '../../config/src/index.js';
import { EmbeddingRepository, GalleryRepository } from '../../database/src/index.js';
import { clusterVectors } from '../../vector-index/src/index.js';
import { FaceAnalysisService } from './face-analysis.service.js';

/**
 * Most faces one request clusters: the kNN graph and the vectors (~100 MB at 100,000 faces) are held
 * in memory and the clustering runs on the request's thread (tens of seconds at that size).
 */
export const MAX_CLUSTER_FACES = 100_000;

export interface ClusterFacesQuery {
  galleryId: string;
  /** Cluster only these faces of the gallery; all of its faces when absent. */
  faceIds?: string[] | null;
  /** Squared-distance threshold, or a target false-accept rate; the configured default FAR when neither. */
  threshold?: number | null;
  far?: number | null;
}

export interface FaceCluster {
  faceIds: string[];
  /** Distinct enrolled identities of the cluster's faces (one when enrollment and clustering agree). */
  identityIds: string[];
  size: number;
}

export interface ClusterResult {
  /** Largest first. */
  clusters: FaceCluster[];
  threshold: number;
  far: number | null;
  linkage: 'average';
  modelVersion: string;
}

/** Groups a gallery's faces into people, ignoring who they were enrolled as (e.g. to find duplicates). */
@Injectable()
export class ClusteringService {
  constructor(
    private readonly config: AppConfig,
    private readonly analysis: FaceAnalysisService,
    private readonly galleries: GalleryRepository,
    private readonly embeddings: EmbeddingRepository,
  ) {}

  /** Average-linkage agglomerative clustering of the faces' embeddings (active model) at the decision threshold. */
  async clusterFaces(query: ClusterFacesQuery): Promise<ClusterResult> {
    await this.galleries.get(query.galleryId);
    const { squaredDistance: threshold, far } = this.analysis.decisionThreshold(query);
    const faceIds = query.faceIds ? [...new Set(query.faceIds)] : undefined;
    if (faceIds && faceIds.length > MAX_CLUSTER_FACES) throw tooMany(faceIds.length);
    const embeddings = await this.embeddings.forGallery(query.galleryId, this.analysis.embedderId, faceIds);
    if (faceIds && embeddings.length < faceIds.length) {
      const found = new Set(embeddings.map((e) => e.faceId));
      const missing = faceIds.filter((id) => !found.has(id));
      throw new DomainException(ErrorCode.VALIDATION, `${missing.length} faceIds are not faces of gallery ${query.galleryId} (with an embedding in ${this.analysis.embedderId})`, {
        missing: missing.slice(0, 20),
      });
    }
    if (embeddings.length > MAX_CLUSTER_FACES) throw tooMany(embeddings.length);

    const { m, efConstruction, efSearch } = this.config.index;
    const { labels, clusters: count } = clusterVectors(embeddings.map((e) => e.vector), { threshold, m, efConstruction, efSearch });
    const clusters = Array.from({ length: count }, () => ({ faceIds: [] as string[], identityIds: new Set<string>() }));
    embeddings.forEach((e, i) => {
      clusters[labels[i]].faceIds.push(e.faceId);
      clusters[labels[i]].identityIds.add(e.identityId);
    });
    return {
      clusters: clusters
        .map((c) => ({ faceIds: c.faceIds, identityIds: [...c.identityIds], size: c.faceIds.length }))
        .sort((a, b) => b.size - a.size),
      threshold,
      far,
      linkage: 'average',
      modelVersion: this.analysis.embedderId,
    };
  }
}

const tooMany = (n: number) =>
  new DomainException(ErrorCode.VALIDATION, `${n} faces are more than one clustering takes (${MAX_CLUSTER_FACES}); pass faceIds to cluster a part`, {
    limit: MAX_CLUSTER_FACES,
  });
