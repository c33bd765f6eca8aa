import { Injectable } from '@nestjs/common';
import { dot, DomainException, ErrorCode, squaredDistanceFromCosine } from '../../common/src/index.js';
import { AppConfig } from '../../config/src/index.js';
import { EmbeddingRepository, GalleryRepository, IdentityRepository } from '../../database/src/index.js';
import { ThresholdRequest } from './decision-threshold.js';
import { FaceAnalysisService } from './face-analysis.service.js';
import { FaceIndex } from './face-index.port.js';
import {
  DetectionResult, GalleryScope, IdentifiedFace, IdentifyResult, MatchDecision, Verification, VerifiedFace,
} from './recognition.types.js';

/** `threshold` / `far` (ThresholdRequest): the configured default FAR when neither is given. */
export interface IdentifyQuery extends ThresholdRequest, GalleryScope {
  image: Uint8Array;
  k: number;
}

export type VerifyQuery = ThresholdRequest & {
  imageA: Uint8Array;
} & ({ imageB: Uint8Array } | (GalleryScope & { externalId: string }));

/** Verification compares the largest face of each photo, as cloud APIs do for their source image. */
const LARGEST = { largestFaceOnly: true };

@Injectable()
export class SearchService {
  constructor(
    private readonly config: AppConfig,
    private readonly analysis: FaceAnalysisService,
    private readonly index: FaceIndex,
    private readonly galleries: GalleryRepository,
    private readonly identities: IdentityRepository,
    private readonly embeddings: EmbeddingRepository,
  ) {}

  async detectFaces(image: Uint8Array): Promise<DetectionResult> {
    const { image: decoded, faces } = await this.analysis.detect(image);
    return {
      imageWidth: decoded.width,
      imageHeight: decoded.height,
      faces: faces.map((face) => ({ ...face, quality: this.analysis.assessQuality(decoded, face) })),
    };
  }

  /**
   * Open-set identification of every face in the photo: candidates are the k nearest identities of
   * the gallery; the decision is MATCH only if the best is within the threshold, so a stranger comes
   * back UNKNOWN instead of as their nearest enrolled look-alike. Faces failing the quality gate are
   * still searched; their `quality.reasons` say why the answer deserves less trust.
   */
  async identify(query: IdentifyQuery): Promise<IdentifyResult> {
    const k = this.checkK(query.k);
    await this.galleries.get(query.tenantId, query.galleryId);
    const { squaredDistance: threshold, far } = this.analysis.decisionThreshold(query);
    const { image, faces } = await this.analysis.analyzeAll(query.image);
    const hitsPerFace = await Promise.all(faces.map((face) => this.index.searchIdentities(query.galleryId, face.embedding, k)));
    const identities = await this.identities.findByIds([...new Set(hitsPerFace.flat().map((h) => h.identityId))]);
    const identified: IdentifiedFace[] = faces.map((face, i) => {
      const candidates = hitsPerFace[i]
        .filter((hit) => identities.has(hit.identityId)) // deleted between search and lookup
        .map((hit) => ({
          identity: identities.get(hit.identityId)!,
          faceId: hit.faceId,
          similarity: hit.similarity,
          distance: squaredDistanceFromCosine(hit.similarity),
        }));
      const decision = candidates.length > 0 && candidates[0].distance <= threshold ? MatchDecision.MATCH : MatchDecision.UNKNOWN;
      return {
        box: face.box, landmarks: face.landmarks, score: face.score, quality: this.analysis.assessQuality(image, face), decision, candidates,
      };
    });
    return { faces: identified, threshold, far, modelVersion: this.analysis.embedderId, imageWidth: image.width, imageHeight: image.height };
  }

  /** Are these the same person? B is a second photo or an enrolled identity (its closest face counts). */
  async verify(query: VerifyQuery): Promise<Verification> {
    const { squaredDistance: threshold, far } = this.analysis.decisionThreshold(query);
    const { face: a } = await this.analysis.analyzeOne(query.imageA, LARGEST);
    let similarity: number;
    let faceB: VerifiedFace | null = null;
    let matchedFaceId: string | null = null;
    if ('imageB' in query) {
      const { face: b } = await this.analysis.analyzeOne(query.imageB, LARGEST);
      similarity = dot(a.embedding, b.embedding);
      faceB = { box: b.box, score: b.score };
    } else {
      await this.galleries.get(query.tenantId, query.galleryId);
      const identity = await this.identities.getByExternalId(query.galleryId, query.externalId);
      const enrolled = await this.embeddings.forIdentity(identity.id, this.analysis.embedderId);
      if (enrolled.length === 0) {
        throw new DomainException(ErrorCode.NOT_FOUND, `Identity ${JSON.stringify(query.externalId)} has no enrolled face in model ${this.analysis.embedderId}`);
      }
      similarity = -Infinity;
      for (const e of enrolled) {
        const s = dot(a.embedding, e.vector);
        if (s > similarity) [similarity, matchedFaceId] = [s, e.faceId];
      }
    }
    const distance = squaredDistanceFromCosine(similarity);
    return {
      same: distance <= threshold,
      distance,
      similarity,
      threshold,
      far,
      modelVersion: this.analysis.embedderId,
      faceA: { box: a.box, score: a.score },
      faceB,
      matchedFaceId,
    };
  }

  private checkK(k: number): number {
    const max = this.config.limits.maxK;
    if (!Number.isInteger(k) || k < 1 || k > max) throw new DomainException(ErrorCode.VALIDATION, `k must be an integer from 1 to ${max}`);
    return k;
  }
}
