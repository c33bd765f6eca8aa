import { DetectorManifest } from '../model.manifest.js';
import { createOnnxSession, EngineLogger, LoadedSession, ort, OnnxSessionOptions } from '../onnx/onnx-session.factory.js';
import { resizeRgb } from '../image/image.decoder.js';
import { RgbImage } from '../image/rgb-image.js';
import { writeNchw } from '../image/tensor.js';
import { DetectedFace } from './detected-face.js';
import { decodeYunet, nonMaximumSuppression, YunetStrideOutput } from './yunet.decoder.js';

export interface DetectionOptions {
  scoreThreshold: number;
  nmsIou: number;
  /** Longest side the image is shrunk to before detection. */
  maxSide: number;
  /** Longest side a smaller image is enlarged to before detection (0: never enlarge). */
  minSide: number;
}

/** YuNet face detector: boxes, 5 landmarks and scores in the source image's pixels, best first. */
export class FaceDetector {
  private constructor(
    readonly manifest: DetectorManifest,
    private readonly loaded: LoadedSession,
    private readonly options: DetectionOptions,
  ) {}

  static async create(
    manifest: DetectorManifest,
    model: Uint8Array,
    sessionOptions: OnnxSessionOptions,
    options: DetectionOptions,
    logger: EngineLogger,
  ): Promise<FaceDetector> {
    return new FaceDetector(manifest, await createOnnxSession(model, manifest.id, sessionOptions, logger), options);
  }

  get executionProvider(): string {
    return this.loaded.executionProvider;
  }

  async detect(image: RgbImage): Promise<DetectedFace[]> {
    const { scale, width, height } = detectorInputSize(image, this.options);
    const resized = scale !== 1 ? await resizeRgb(image, width, height) : image;
    // The network needs sides that are multiples of 32; pad bottom/right with zeros.
    const multiple = this.manifest.input.sizeMultiple;
    const tensorWidth = Math.ceil(width / multiple) * multiple;
    const tensorHeight = Math.ceil(height / multiple) * multiple;
    const input = new Float32Array(3 * tensorWidth * tensorHeight);
    writeNchw(resized, this.manifest.input, input, 0, tensorWidth, tensorHeight);
    const results = await this.loaded.session.run({
      [this.manifest.input.name]: new ort.Tensor('float32', input, [1, 3, tensorHeight, tensorWidth]),
    });
    const outputs: YunetStrideOutput[] = this.manifest.strides.map((stride) => ({
      stride,
      cls: results[`cls_${stride}`].data as Float32Array,
      obj: results[`obj_${stride}`].data as Float32Array,
      bbox: results[`bbox_${stride}`].data as Float32Array,
      kps: results[`kps_${stride}`].data as Float32Array,
    }));
    const faces = nonMaximumSuppression(
      decodeYunet(outputs, tensorWidth, tensorHeight, this.options.scoreThreshold),
      this.options.nmsIou,
    );
    // Back to source pixels: undo the resize, clip boxes to the image.
    const sx = image.width / width;
    const sy = image.height / height;
    return faces.map((face) => {
      const x1 = clamp(face.box.x * sx, 0, image.width);
      const y1 = clamp(face.box.y * sy, 0, image.height);
      const x2 = clamp((face.box.x + face.box.width) * sx, 0, image.width);
      const y2 = clamp((face.box.y + face.box.height) * sy, 0, image.height);
      return {
        box: { x: x1, y: y1, width: x2 - x1, height: y2 - y1 },
        landmarks: face.landmarks.map((p) => ({ x: p.x * sx, y: p.y * sy })),
        score: face.score,
      };
    });
  }

  async release(): Promise<void> {
    await this.loaded.session.release();
  }
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** The size an image is detected at: shrunk to `maxSide`, or enlarged to `minSide` when smaller (before padding). */
export function detectorInputSize(
  image: { width: number; height: number },
  options: Pick<DetectionOptions, 'minSide' | 'maxSide'>,
): { scale: number; width: number; height: number } {
  const longest = Math.max(image.width, image.height);
  const scale = longest < options.minSide ? options.minSide / longest : Math.min(1, options.maxSide / longest);
  return { scale, width: Math.max(1, Math.round(image.width * scale)), height: Math.max(1, Math.round(image.height * scale)) };
}
