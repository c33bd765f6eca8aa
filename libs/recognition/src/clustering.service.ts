import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode } from '../../common/src/index.js';
import { AppConfig } from '../../config/src/index.js';
import { EmbeddingRepository, GalleryRepository } from '../../database/src/index.js';
import { assignToCluster, clusterVectors } from '../../vector-index/src/index.js';
import { ThresholdRequest } from './decision-threshold.js';
import { FaceAnalysisService } from './face-analysis.service.js';
import { GalleryScope, VerifiedFace } from './recognition.types.js';

/**
 * Most faces one request clusters: the kNN graph and the vectors (~100 MB at 100,000 faces) are held
 * in memory and the clustering runs on the request's thread (tens of seconds at that size).
 */
export const MAX_CLUSTER_FACES = 100_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ClusterFacesQuery extends ThresholdRequest, GalleryScope {
  /** Cluster only these faces of the gallery; all of its faces when absent. */
  faceIds?: string[] | null;
}

export interface ClusterAssignQuery extends ThresholdRequest, GalleryScope {
  /** Existing clusters as lists of face ids of the gallery. */
  clusters: string[][];
  image: Uint8Array;
}

export interface ClusterAssignment {
  /** Index into the query's clusters, or null for a new person. */
  clusterIndex: number | null;
  distance: number | null;
  threshold: number;
  far: number | null;
  face: VerifiedFace;
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
    await this.galleries.get(query.tenantId, query.galleryId);
    const { squaredDistance: threshold, far } = this.analysis.decisionThreshold(query);
    const embeddings = await this.galleryEmbeddings(query.galleryId, query.faceIds ?? undefined);

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

  /** Assigns the largest face of a photo to the closest of the given clusters, or to none, without re-clustering. */
  async assignFace(query: ClusterAssignQuery): Promise<ClusterAssignment> {
    await this.galleries.get(query.tenantId, query.galleryId);
    const { squaredDistance: threshold, far } = this.analysis.decisionThreshold(query);
    const members = await this.galleryEmbeddings(query.galleryId, query.clusters.flat());
    const vectorOf = new Map(members.map((e) => [e.faceId, e.vector]));
    const { face } = await this.analysis.analyzeOne(query.image, { largestFaceOnly: true });
    const assignment = assignToCluster(face.embedding, query.clusters.map((ids) => ids.map((id) => vectorOf.get(id)!)), { threshold });
    return {
      clusterIndex: assignment?.cluster ?? null,
      distance: assignment?.distance ?? null,
      threshold,
      far,
      face: { box: face.box, score: face.score },
    };
  }

  /** The gallery's embeddings in the active model (only `faceIds` when given, each of which must exist). */
  private async galleryEmbeddings(galleryId: string, requested?: string[]) {
    const faceIds = requested ? [...new Set(requested)] : undefined;
    if (faceIds && faceIds.length > MAX_CLUSTER_FACES) throw tooMany(faceIds.length);
    const malformed = faceIds?.find((id) => !UUID.test(id));
    if (malformed !== undefined) throw new DomainException(ErrorCode.VALIDATION, `${JSON.stringify(malformed)} is not a face id`);
    const embeddings = await this.embeddings.forGallery(galleryId, this.analysis.embedderId, faceIds);
    if (faceIds && embeddings.length < faceIds.length) {
      const found = new Set(embeddings.map((e) => e.faceId));
      const missing = faceIds.filter((id) => !found.has(id));
      throw new DomainException(ErrorCode.VALIDATION, `${missing.length} faceIds are not faces of gallery ${galleryId} (with an embedding in ${this.analysis.embedderId})`, {
        missing: missing.slice(0, 20),
      });
    }
    if (embeddings.length > MAX_CLUSTER_FACES) throw tooMany(embeddings.length);
    return embeddings;
  }
}

const tooMany = (n: number) =>
  new DomainException(ErrorCode.VALIDATION, `${n} faces are more than one clustering takes (${MAX_CLUSTER_FACES}); pass faceIds to cluster a part`, {
    limit: MAX_CLUSTER_FACES,
  });
