import { CropAlignment, realignCrop } from './alignment/face-archive.js';
import { alignFace } from './alignment/similarity-transform.js';
import { DetectedFace } from './detection/detected-face.js';
import { DetectionOptions, FaceDetector } from './detection/face.detector.js';
import { FaceEmbedder } from './embedding/face.embedder.js';
import { decodeImage, DecodedImage, ImageDecodeLimits } from './image/image.decoder.js';
import { RgbImage } from './image/rgb-image.js';
import { ModelDirectories, readManifest, readModelFile, readStoredModelFile, StoredEmbedder } from './model.manifest.js';
import { EngineLogger, OnnxSessionOptions } from './onnx/onnx-session.factory.js';

export interface FacePipelineOptions extends ModelDirectories {
  manifestDir: string;
  detectorId: string;
  embedderId: string;
  /** An embedder from the model registry, run instead of `embedderId`'s manifest and file. */
  storedEmbedder?: StoredEmbedder;
  session: OnnxSessionOptions;
  embedBatchSize: number;
  detection: DetectionOptions;
  limits: ImageDecodeLimits;
}

/** Milliseconds spent in each stage of one call, for benchmarks and logs. */
export interface StageTimings {
  decodeMs: number;
  detectMs: number;
  alignMs: number;
  embedMs: number;
}

export interface EmbeddedFace extends DetectedFace {
  /** Aligned crop the embedding came from (template size of the embedder). */
  crop: RgbImage;
  embedding: Float32Array;
}

/**
 * decode → detect → align → embed, with the models named by manifests. Knows nothing about
 * transports or storage; one instance per process holds the ONNX sessions.
 */
export class FacePipeline {
  private constructor(
    readonly detector: FaceDetector,
    readonly embedder: FaceEmbedder,
    private readonly limits: ImageDecodeLimits,
  ) {}

  static async create(options: FacePipelineOptions, logger: EngineLogger): Promise<FacePipeline> {
    const detectorManifest = await readManifest(options.manifestDir, options.detectorId, 'detector');
    const { storedEmbedder } = options;
    const embedderManifest = storedEmbedder?.manifest ?? (await readManifest(options.manifestDir, options.embedderId, 'embedder'));
    const detector = await FaceDetector.create(
      detectorManifest, await readModelFile(options, detectorManifest), options.session, options.detection, logger,
    );
    const embedderFile = storedEmbedder ? await readStoredModelFile(storedEmbedder) : await readModelFile(options, embedderManifest);
    const embedder = await FaceEmbedder.create(embedderManifest, embedderFile, options.session, options.embedBatchSize, logger);
    return new FacePipeline(detector, embedder, options.limits);
  }

  decode(bytes: Uint8Array): Promise<DecodedImage> {
    return decodeImage(bytes, this.limits);
  }

  detect(image: RgbImage): Promise<DetectedFace[]> {
    return this.detector.detect(image);
  }

  align(image: RgbImage, face: DetectedFace): RgbImage {
    const { template, width, height } = this.embedder.manifest.alignment;
    return alignFace(image, face.landmarks, template, width, height);
  }

  /**
   * The embedder's crop of a face from a crop stored for another alignment (`realignCrop`), as a model
   * upgrade feeds stored faces to the new model.
   */
  realign(stored: RgbImage, storedAlignment: CropAlignment, landmarks: DetectedFace['landmarks']): { crop: RgbImage; coverage: number } {
    return realignCrop(stored, storedAlignment, landmarks, this.embedder.manifest.alignment);
  }

  /**
   * Aligns and embeds the given faces of one image, in one batched pass. With `via`, each face is first
   * cropped to that alignment and the embedder's crop made from it, as if re-embedding a stored crop.
   */
  async embedFaces(image: RgbImage, faces: DetectedFace[], timings?: StageTimings, via?: CropAlignment): Promise<EmbeddedFace[]> {
    let t = performance.now();
    const crops = faces.map((face) =>
      via ? this.realign(alignFace(image, face.landmarks, via.template, via.width, via.height), via, face.landmarks).crop : this.align(image, face),
    );
    if (timings) timings.alignMs += performance.now() - t;
    t = performance.now();
    const embeddings = await this.embedder.embed(crops);
    if (timings) timings.embedMs += performance.now() - t;
    return faces.map((face, i) => ({ ...face, crop: crops[i], embedding: embeddings[i] }));
  }

  /** The whole pipeline on encoded bytes: every face found, embedded, with stage timings. */
  async analyze(bytes: Uint8Array): Promise<{ image: DecodedImage; faces: EmbeddedFace[]; timings: StageTimings }> {
    const timings: StageTimings = { decodeMs: 0, detectMs: 0, alignMs: 0, embedMs: 0 };
    let t = performance.now();
    const image = await this.decode(bytes);
    timings.decodeMs = performance.now() - t;
    t = performance.now();
    const detected = await this.detect(image);
    timings.detectMs = performance.now() - t;
    const faces = await this.embedFaces(image, detected, timings);
    return { image, faces, timings };
  }

  async release(): Promise<void> {
    await Promise.all([this.detector.release(), this.embedder.release()]);
  }
}
