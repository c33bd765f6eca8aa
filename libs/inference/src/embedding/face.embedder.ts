import { l2NormalizeInPlace } from '../../../common/src/index.js';
import { EmbedderManifest } from '../model.manifest.js';
import { makeBatchDimensionDynamic } from '../onnx/onnx-batch-dimension.js';
import { createOnnxSession, EngineLogger, LoadedSession, ort, OnnxSessionOptions } from '../onnx/onnx-session.factory.js';
import { RgbImage } from '../image/rgb-image.js';
import { writeNchw } from '../image/tensor.js';

/**
 * Maps aligned face crops to L2-normalised embeddings. Runs faces in batches when the graph allows
 * it: a file whose batch dimension is fixed is rewritten to a dynamic one at load time, and the
 * rewrite is only used if a batch reproduces one-by-one results.
 */
export class FaceEmbedder {
  private constructor(
    readonly manifest: EmbedderManifest,
    private readonly loaded: LoadedSession,
    /** Most images one session.run may take (1 when the graph cannot batch). */
    readonly maxRunBatch: number,
  ) {}

  static async create(
    manifest: EmbedderManifest,
    model: Uint8Array,
    sessionOptions: OnnxSessionOptions,
    batchSize: number,
    logger: EngineLogger,
  ): Promise<FaceEmbedder> {
    const rewrite = makeBatchDimensionDynamic(model);
    if (rewrite.batchSpecificReshapes.length === 0 && batchSize > 1) {
      const loaded = await createOnnxSession(rewrite.model, manifest.id, sessionOptions, logger);
      const candidate = new FaceEmbedder(manifest, loaded, batchSize * 2);
      if (await candidate.batchMatchesSingles()) {
        if (rewrite.rewrittenTensors.length) {
          logger.log(`${manifest.id}: batch dimension made dynamic (${[...rewrite.rewrittenTensors, ...rewrite.rewrittenReshapes].join(', ')})`);
        }
        return candidate;
      }
      logger.warn(`${manifest.id}: batched output differs from single runs; embedding one image per run`);
      await loaded.session.release();
    }
    return new FaceEmbedder(manifest, await createOnnxSession(model, manifest.id, sessionOptions, logger), 1);
  }

  get dimension(): number {
    return this.manifest.output.dimension;
  }

  get executionProvider(): string {
    return this.loaded.executionProvider;
  }

  /** Embeds aligned crops (manifest.alignment size), flip-augmented as the manifest says. */
  async embed(crops: RgbImage[]): Promise<Float32Array[]> {
    const { input } = this.manifest;
    for (const crop of crops) {
      if (crop.width !== input.width || crop.height !== input.height) {
        throw new Error(`${this.manifest.id} expects ${input.width}×${input.height} crops, got ${crop.width}×${crop.height}`);
      }
    }
    const views = this.manifest.flipAugmentation === 'sum' ? 2 : 1;
    const facesPerRun = Math.max(1, Math.floor(this.maxRunBatch / views));
    const embeddings: Float32Array[] = [];
    for (let start = 0; start < crops.length; start += facesPerRun) {
      const chunk = crops.slice(start, start + facesPerRun);
      const raw = await this.runViews(chunk, views);
      for (let f = 0; f < chunk.length; f++) {
        const vector = new Float32Array(this.dimension);
        for (let v = 0; v < views; v++) {
          const offset = (f * views + v) * this.dimension;
          for (let i = 0; i < this.dimension; i++) vector[i] += raw[offset + i];
        }
        embeddings.push(l2NormalizeInPlace(vector));
      }
    }
    return embeddings;
  }

  /** Raw network outputs for each crop (and its mirror when views = 2), in order. */
  private async runViews(crops: RgbImage[], views: number): Promise<Float32Array> {
    const { input } = this.manifest;
    const images = crops.length * views;
    const plane = 3 * input.width * input.height;
    const out = new Float32Array(images * this.dimension);
    for (let first = 0; first < images; first += this.maxRunBatch) {
      const count = Math.min(this.maxRunBatch, images - first);
      const tensor = new Float32Array(count * plane);
      for (let slot = 0; slot < count; slot++) {
        const index = first + slot;
        writeNchw(crops[Math.floor(index / views)], input, tensor, slot, input.width, input.height, index % views === 1);
      }
      const result = await this.loaded.session.run({
        [input.name]: new ort.Tensor('float32', tensor, [count, 3, input.height, input.width]),
      });
      const data = result[this.manifest.output.name].data as Float32Array;
      if (data.length !== count * this.dimension) {
        throw new Error(`${this.manifest.id} returned ${data.length / count} values per face; the manifest says ${this.dimension}`);
      }
      out.set(data, first * this.dimension);
    }
    return out;
  }

  /** Runs two different inputs as one batch and one at a time; batching is trusted only if they agree. */
  private async batchMatchesSingles(): Promise<boolean> {
    const { width, height } = this.manifest.input;
    const crops = [0, 1].map((seed) => {
      const data = new Uint8Array(width * height * 3);
      for (let i = 0; i < data.length; i++) data[i] = (i * (seed + 7) * 2654435761) >>> 24;
      return { width, height, data };
    });
    const batched = await this.runViews(crops, 1);
    const single = new FaceEmbedder(this.manifest, this.loaded, 1);
    const separate = await single.runViews(crops, 1);
    let maxDiff = 0;
    for (let i = 0; i < batched.length; i++) maxDiff = Math.max(maxDiff, Math.abs(batched[i] - separate[i]));
    return maxDiff < 1e-3;
  }

  async release(): Promise<void> {
    await this.loaded.session.release();
  }
}
