import { FaceEntity, IdentityEntity } from '../../database/src/index.js';
import { Box, DetectedFace, FaceQuality, Point, QualityReason } from '../../inference/src/index.js';

export { QualityReason };

/** A gallery as a request names it: it must belong to the caller's tenant, or it is NOT_FOUND. */
export interface GalleryScope {
  tenantId: string;
  galleryId: string;
}

export enum MatchDecision {
  MATCH = 'MATCH',
  UNKNOWN = 'UNKNOWN',
}

/** A face's quality measures and the gate's reasons to refuse it under the configured thresholds (empty: passes). */
export interface FaceQualityReport extends FaceQuality {
  reasons: QualityReason[];
}

export interface AssessedFace extends DetectedFace {
  quality: FaceQualityReport;
}

export interface FaceRecord {
  id: string;
  identityId: string;
  galleryId: string;
  score: number;
  box: Box;
  landmarks: Point[];
  sourceSha256: string;
  createdAt: Date;
  /** Measured at enrollment; not stored, so null when read back. */
  quality: FaceQualityReport | null;
}

export interface EnrollmentResult {
  identity: IdentityEntity;
  identityCreated: boolean;
  faces: FaceRecord[];
}

export interface IdentityCandidate {
  identity: IdentityEntity;
  /** Face of the identity that matched best. */
  faceId: string;
  /** Cosine similarity of the unit embeddings. */
  similarity: number;
  /** Squared L2 distance of the unit embeddings (2 − 2·similarity), the quantity thresholds apply to. */
  distance: number;
}

export interface IdentifiedFace extends AssessedFace {
  decision: MatchDecision;
  candidates: IdentityCandidate[];
}

export interface IdentifyResult {
  faces: IdentifiedFace[];
  threshold: number;
  /** False-accept rate the threshold was calibrated for; null when the caller gave a raw threshold. */
  far: number | null;
  modelVersion: string;
  imageWidth: number;
  imageHeight: number;
}

export interface VerifiedFace {
  box: Box;
  score: number;
}

export interface Verification {
  same: boolean;
  distance: number;
  similarity: number;
  threshold: number;
  far: number | null;
  modelVersion: string;
  faceA: VerifiedFace;
  /** Absent when B was an enrolled identity. */
  faceB: VerifiedFace | null;
  /** The enrolled face that matched best, when B was an identity. */
  matchedFaceId: string | null;
}

export interface DetectionResult {
  imageWidth: number;
  imageHeight: number;
  faces: AssessedFace[];
}

export function toFaceRecord(face: FaceEntity): FaceRecord {
  const landmarks: Point[] = [];
  for (let i = 0; i < face.landmarks.length; i += 2) landmarks.push({ x: face.landmarks[i], y: face.landmarks[i + 1] });
  return {
    id: face.id,
    identityId: face.identityId,
    galleryId: face.galleryId,
    score: face.detectorScore,
    box: { x: face.boxX, y: face.boxY, width: face.boxWidth, height: face.boxHeight },
    landmarks,
    sourceSha256: face.sourceSha256,
    createdAt: face.createdAt,
    quality: null,
  };
}

/** QUEUED: no item settled yet; PROCESSING: some; COMPLETED: every item is done or failed. */
export enum BatchStatus {
  QUEUED = 'QUEUED',
  PROCESSING = 'PROCESSING',
  COMPLETED = 'COMPLETED',
}

export enum BatchItemStatus {
  PENDING = 'PENDING',
  DONE = 'DONE',
  FAILED = 'FAILED',
}

export interface EnrollmentBatch {
  id: string;
  galleryId: string;
  status: BatchStatus;
  total: number;
  pending: number;
  done: number;
  failed: number;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface EnrollmentBatchItem {
  externalId: string;
  status: BatchItemStatus;
  /** Why it failed (NO_FACE, INVALID_IMAGE, LOW_QUALITY…); null unless FAILED. */
  errorCode: string | null;
  faceId: string | null;
  /** The worker that settled it. */
  worker: string | null;
  processedAt: Date | null;
}
