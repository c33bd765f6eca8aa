import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DomainException, ErrorCode } from '../../common/src/index.js';
import { AppConfig } from '../../config/src/index.js';
import { ModelVersionRepository } from '../../database/src/index.js';
import {
  archiveCrop, assessFaceQuality, CropAlignment, DecodedImage, DetectedFace, EmbeddedFace, FacePipeline, ImageDecodeError, ImageDecodeFailure,
  qualityFailures, RgbImage,
} from '../../inference/src/index.js';
import { DecisionThreshold, resolveThreshold, ThresholdRequest } from './decision-threshold.js';
import { facePipelineOptions } from './face-pipeline.options.js';
import { FaceQualityReport } from './recognition.types.js';

/** How to pick one face out of a photo that shows several. */
export interface FaceSelection {
  /** Index into the detections (as `detectFaces` returns them, best score first). */
  faceIndex?: number | null;
  /** Take the face with the largest box. */
  largestFaceOnly?: boolean | null;
}

const DECODE_FAILURE_CODES: Record<ImageDecodeFailure, ErrorCode> = {
  [ImageDecodeFailure.INVALID]: ErrorCode.INVALID_IMAGE,
  [ImageDecodeFailure.TOO_SMALL]: ErrorCode.INVALID_IMAGE,
  [ImageDecodeFailure.TOO_LARGE]: ErrorCode.IMAGE_TOO_LARGE,
};

/**
 * The process's face pipeline (ONNX sessions loaded once at boot) in domain terms: decode errors
 * become coded exceptions, and face-selection rules live here so enrollment and verification agree.
 */
@Injectable()
export class FaceAnalysisService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(FaceAnalysisService.name);
  private engine: FacePipeline;

  constructor(
    private readonly config: AppConfig,
    private readonly modelVersions: ModelVersionRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    const started = performance.now();
    // The registry's active embedder, once one was made active; EMBEDDER_MODEL until then.
    const active = await this.modelVersions.activeEmbedder();
    const options = facePipelineOptions(this.config, active);
    if (active) {
      this.logger.log(`Embedder ${active.id}: active in the model registry (${active.source})`);
      const uncovered = await this.modelVersions.uncoveredFaces(active.id);
      if (uncovered > 0) this.logger.warn(`${uncovered} faces have no ${active.id} embedding (enrolled after it was made active, before a restart): search cannot find them until they are migrated`);
    }
    this.engine = await FacePipeline.create(options, this.logger);
    const bundled = options.storedEmbedder ? [this.engine.detector.manifest] : [this.engine.detector.manifest, this.engine.embedder.manifest];
    for (const manifest of bundled) {
      await this.modelVersions.upsert({
        id: manifest.id,
        version: manifest.version,
        kind: manifest.kind,
        dimension: manifest.kind === 'embedder' ? manifest.output.dimension : null,
        sha256: manifest.sha256,
        manifest,
      });
    }
    this.logger.log(`Models ready in ${Math.round(performance.now() - started)} ms: ${this.detectorId}, ${this.embedderId}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.engine?.release();
  }

  get detectorId(): string {
    return this.engine.detector.manifest.id;
  }

  get embedderId(): string {
    return this.engine.embedder.manifest.id;
  }

  get dimension(): number {
    return this.engine.embedder.dimension;
  }

  /** What names the embedding space exactly: vectors (and index snapshots) of any other are not comparable. */
  get embedderVersion(): { id: string; version: string; sha256: string; dimension: number } {
    const { id, version, sha256 } = this.engine.embedder.manifest;
    return { id, version, sha256, dimension: this.dimension };
  }

  /** The decision threshold for a request (raw threshold, target FAR, or the configured default FAR). */
  decisionThreshold(request: ThresholdRequest): DecisionThreshold {
    return resolveThreshold(this.engine.embedder.manifest.threshold, request, this.config.defaultFar);
  }

  /** Where the embedder wants the five landmarks in its crop. */
  get embedderAlignment(): CropAlignment {
    return this.engine.embedder.manifest.alignment;
  }

  /** The crop kept of an enrolled face (FACE_ARCHIVE_ALIGNMENT), from which any later embedder can be fed. */
  archiveCrop(image: RgbImage, face: DetectedFace): RgbImage {
    return archiveCrop(image, face.landmarks);
  }

  async decode(bytes: Uint8Array): Promise<DecodedImage> {
    try {
      return await this.engine.decode(bytes);
    } catch (error) {
      if (error instanceof ImageDecodeError) throw new DomainException(DECODE_FAILURE_CODES[error.failure], error.message);
      throw error;
    }
  }

  async detect(bytes: Uint8Array): Promise<{ image: DecodedImage; faces: DetectedFace[] }> {
    const image = await this.decode(bytes);
    return { image, faces: await this.engine.detect(image) };
  }

  /** Every face of the photo, embedded. */
  async analyzeAll(bytes: Uint8Array): Promise<{ image: DecodedImage; faces: EmbeddedFace[] }> {
    const { image, faces } = await this.detect(bytes);
    return { image, faces: await this.engine.embedFaces(image, faces) };
  }

  /** The one face the caller means (see `selectFace`), embedded. */
  async analyzeOne(bytes: Uint8Array, selection: FaceSelection): Promise<{ image: DecodedImage; face: EmbeddedFace }> {
    const { image, faces } = await this.detect(bytes);
    const [face] = await this.engine.embedFaces(image, [selectFace(faces, selection)]);
    return { image, face };
  }

  /** Quality of a face of `image` (from its aligned crop, aligned here unless embedded) against the configured gate. */
  assessQuality(image: RgbImage, face: DetectedFace | EmbeddedFace): FaceQualityReport {
    const quality = assessFaceQuality(face, 'crop' in face ? face.crop : this.engine.align(image, face));
    return { ...quality, reasons: qualityFailures(quality, this.config.quality) };
  }

  embedCrops(crops: RgbImage[]): Promise<Float32Array[]> {
    return this.engine.embedder.embed(crops);
  }
}

/** No face → NO_FACE; several and no choice made → MULTIPLE_FACES; a bad index → VALIDATION. */
export function selectFace<T extends DetectedFace>(faces: T[], selection: FaceSelection): T {
  if (faces.length === 0) throw new DomainException(ErrorCode.NO_FACE, 'No face was found in the image');
  if (selection.faceIndex != null) {
    const face = faces[selection.faceIndex];
    if (!face) {
      throw new DomainException(ErrorCode.VALIDATION, `faceIndex ${selection.faceIndex} is out of range: the image has ${faces.length} face(s)`, {
        faceCount: faces.length,
      });
    }
    return face;
  }
  if (selection.largestFaceOnly) {
    return faces.reduce((best, f) => (f.box.width * f.box.height > best.box.width * best.box.height ? f : best));
  }
  if (faces.length > 1) {
    throw new DomainException(
      ErrorCode.MULTIPLE_FACES,
      `The image shows ${faces.length} faces; pass faceIndex (see detectFaces) or largestFaceOnly: true to choose one`,
      { faceCount: faces.length, boxes: faces.map((f) => f.box) },
    );
  }
  return faces[0];
}
