// Face pipeline benchmark: the platform's FacePipeline.analyze end to end, next to the same
// inference through bare onnxruntime sessions, on a fixed seeded set of real photos.
// Prints one JSON object on stdout; progress goes to stderr.
//
//   npm run -s bench:pipeline [-- --images 60 --threads 1 --batch 16 --warmup 5 --rounds 3 --seed 20240601]
// (-s keeps npm's own banner off stdout, so stdout is exactly the JSON.)
//
// Timings are wall-clock on a shared machine: anything else running skews them (loadAverage in
// the output tells). With --threads > 1 every session's idle intra-op workers spin after a run,
// which slows the other session and the JS stages in between; this measures that as it is.
//
// Env: MODEL_DIR (default ../shared/models), GENERATED_MODEL_DIR (default data/models), DATASET_DIR (default ../shared/datasets).
import os from 'node:os';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import ort from 'onnxruntime-node';
import {
  decodeYunet,
  detectorInputSize,
  DetectedFace,
  DetectionOptions,
  FacePipeline,
  ImageDecodeLimits,
  nonMaximumSuppression,
  onnxSessionOptions,
  readManifest,
  readModelFile,
  resizeRgb,
  RgbImage,
  YunetStrideOutput,
} from '../libs/inference/src/index.js';
import { writeNchw } from '../libs/inference/src/image/tensor.js';
import { makeBatchDimensionDynamic } from '../libs/inference/src/onnx/onnx-batch-dimension.js';
import { info, mean, parseIntegerFlags, round, selectBenchImages } from './bench.util.js';

// ---- Parameters (each overridable by the flag of the same name) --------------------------------
const DEFAULTS = {
  /** Photos in the set (half London 600×600, half LFW 250×250 when LFW is present). */
  images: 60,
  /** onnxruntime intra-op threads for every session (0 lets onnxruntime choose). */
  threads: 1,
  /** Embedder batch size in faces (the platform's EMBED_BATCH_SIZE; 2 views per face). */
  batch: 16,
  /** Untimed iterations before each measurement. */
  warmup: 5,
  /** Timed passes over the set; platform and raw alternate which goes first. */
  rounds: 3,
  /** Seed of the image selection. */
  seed: 20240601,
};
/** Timed runs of the embedder-only comparison (each run is `batch` faces). */
const EMBED_ITERATIONS = 8;
const DETECTOR_ID = 'yunet-n';
const EMBEDDER_ID = 'mobilefacenet-128';
/** The platform's defaults (libs/config/src/environment.ts). */
const DETECTION: DetectionOptions = { scoreThreshold: 0.6, nmsIou: 0.3, maxSide: 640, minSide: 512 };
const LIMITS: ImageDecodeLimits = { maxBytes: 15 * 1024 * 1024, maxPixels: 40_000_000 };
const EXECUTION_PROVIDER = 'cpu';

const MODEL_DIR = resolve(process.env.MODEL_DIR ?? '../shared/models');
const MODEL_DIRS = { modelDir: MODEL_DIR, generatedModelDir: resolve(process.env.GENERATED_MODEL_DIR ?? 'data/models') };
const DATASET_DIR = resolve(process.env.DATASET_DIR ?? '../shared/datasets');
const MANIFEST_DIR = resolve('models');

type Feeds = Record<string, ort.Tensor>;

/** Everything the raw pass needs for one image, built before any timing. */
interface PreparedImage {
  detectorFeeds: Feeds;
  /** One feed per embedder run, crops and mirrors interleaved as FaceEmbedder.runViews does. */
  embedFeeds: Feeds[];
  crops: RgbImage[];
  faces: number;
}

/** Per-image costs of the work the platform does around inference (measured while preparing). */
interface PrepCosts {
  detectorResizeMs: number;
  detectorTensorMs: number;
  detectorPostMs: number;
  alignMs: number;
  embedTensorMs: number;
}

const now = () => performance.now();

async function main(): Promise<void> {
  const params = parseIntegerFlags(process.argv.slice(2), DEFAULTS);
  const { images: imageCount, threads, batch, warmup, rounds, seed } = params;
  if (imageCount < 1 || batch < 1 || rounds < 1) throw new Error('--images, --batch and --rounds must be at least 1');

  const selection = await selectBenchImages(DATASET_DIR, imageCount, seed);
  const bytes = await Promise.all(selection.map((image) => readFile(image.path)));
  const sources = { london: selection.filter((i) => i.source === 'london').length, lfw: selection.filter((i) => i.source === 'lfw').length };
  info(`images: ${imageCount} (${sources.london} London, ${sources.lfw} LFW), seed ${seed}; threads ${threads}, batch ${batch}, warmup ${warmup}, rounds ${rounds}`);
  info(`models: ${MODEL_DIR}; datasets: ${DATASET_DIR}`);
  const loadBefore = os.loadavg()[0];
  if (loadBefore > os.cpus().length / 2) info(`note: 1-minute load average is ${loadBefore.toFixed(2)} on ${os.cpus().length} CPUs; other work will skew the timings`);

  // ---- Sessions: the platform's, and bare ones with the same options and bytes ----------------
  const sessionOptions = { executionProviders: [EXECUTION_PROVIDER], intraOpThreads: threads };
  const logger = { log: (m: string) => info(`[platform] ${m}`), warn: (m: string) => info(`[platform] WARN ${m}`) };
  const pipeline = await FacePipeline.create(
    {
      ...MODEL_DIRS, manifestDir: MANIFEST_DIR, detectorId: DETECTOR_ID, embedderId: EMBEDDER_ID,
      session: sessionOptions, embedBatchSize: batch, detection: DETECTION, limits: LIMITS,
    },
    logger,
  );
  const detectorManifest = await readManifest(MANIFEST_DIR, DETECTOR_ID, 'detector');
  const embedderManifest = await readManifest(MANIFEST_DIR, EMBEDDER_ID, 'embedder');
  const ortOptions = onnxSessionOptions(EXECUTION_PROVIDER, threads);
  const embedderBytes = await readModelFile(MODEL_DIRS, embedderManifest);
  const rawDetector = await ort.InferenceSession.create(await readModelFile(MODEL_DIRS, detectorManifest), ortOptions);
  // The platform batches with the rewritten (dynamic-batch) graph and falls back to the file as is.
  const rawEmbedderDynamic = await ort.InferenceSession.create(makeBatchDimensionDynamic(embedderBytes).model, ortOptions);
  const rawEmbedderFixed = await ort.InferenceSession.create(embedderBytes, ortOptions);
  const maxRunBatch = pipeline.embedder.maxRunBatch;
  const rawEmbedder = maxRunBatch > 1 ? rawEmbedderDynamic : rawEmbedderFixed;
  info(`embedder: up to ${maxRunBatch} images per run (${maxRunBatch > 1 ? 'dynamic batch' : 'fixed batch 1'})`);

  const embedIn = embedderManifest.input;
  const embedOut = embedderManifest.output.name;
  const views = embedderManifest.flipAugmentation === 'sum' ? 2 : 1;
  const cropPlane = 3 * embedIn.width * embedIn.height;

  /** Crops (and mirrors) as one NCHW tensor, view v of crop f at slot f·views + v. */
  const viewsTensor = (crops: RgbImage[]): ort.Tensor => {
    const count = crops.length * views;
    const data = new Float32Array(count * cropPlane);
    for (let slot = 0; slot < count; slot++) {
      writeNchw(crops[Math.floor(slot / views)], embedIn, data, slot, embedIn.width, embedIn.height, slot % views === 1);
    }
    return new ort.Tensor('float32', data, [count, 3, embedIn.height, embedIn.width]);
  };

  // ---- Preparation (untimed for the raw pass): decode, detector tensor, crops, crop tensors -----
  const prepared: PreparedImage[] = [];
  const costs: PrepCosts[] = [];
  let detectionMismatches = 0;
  for (const imageBytes of bytes) {
    const image = await pipeline.decode(imageBytes);
    // Same sizing as FaceDetector.detect, then padding to the size multiple.
    const { scale, width, height } = detectorInputSize(image, DETECTION);
    let t = now();
    const resized = scale !== 1 ? await resizeRgb(image, width, height) : image;
    const detectorResizeMs = now() - t;
    const multiple = detectorManifest.input.sizeMultiple;
    const tensorWidth = Math.ceil(width / multiple) * multiple;
    const tensorHeight = Math.ceil(height / multiple) * multiple;
    t = now();
    const input = new Float32Array(3 * tensorWidth * tensorHeight);
    writeNchw(resized, detectorManifest.input, input, 0, tensorWidth, tensorHeight);
    const detectorTensorMs = now() - t;
    const detectorFeeds = { [detectorManifest.input.name]: new ort.Tensor('float32', input, [1, 3, tensorHeight, tensorWidth]) };

    // The platform's own detections pick the faces, so both paths embed the same crops.
    const faces: DetectedFace[] = await pipeline.detect(image);
    // Post-processing cost: YuNet decode + NMS on this image's raw outputs.
    const results = await rawDetector.run(detectorFeeds);
    t = now();
    const outputs: YunetStrideOutput[] = detectorManifest.strides.map((stride) => ({
      stride,
      cls: results[`cls_${stride}`].data as Float32Array,
      obj: results[`obj_${stride}`].data as Float32Array,
      bbox: results[`bbox_${stride}`].data as Float32Array,
      kps: results[`kps_${stride}`].data as Float32Array,
    }));
    const rawFaces = nonMaximumSuppression(decodeYunet(outputs, tensorWidth, tensorHeight, DETECTION.scoreThreshold), DETECTION.nmsIou);
    const detectorPostMs = now() - t;
    if (rawFaces.length !== faces.length) detectionMismatches++;

    t = now();
    const crops = faces.map((face) => pipeline.align(image, face));
    const alignMs = now() - t;
    t = now();
    const embedFeeds: Feeds[] = [];
    const facesPerRun = Math.max(1, Math.floor(maxRunBatch / views));
    for (let start = 0; start < crops.length; start += facesPerRun) {
      const chunk = crops.slice(start, start + facesPerRun);
      // FaceEmbedder.runViews splits the chunk's views into runs of at most maxRunBatch images.
      const all = viewsTensor(chunk);
      const count = chunk.length * views;
      for (let first = 0; first < count; first += maxRunBatch) {
        const n = Math.min(maxRunBatch, count - first);
        const data = (all.data as Float32Array).subarray(first * cropPlane, (first + n) * cropPlane);
        embedFeeds.push({ [embedIn.name]: new ort.Tensor('float32', data, [n, 3, embedIn.height, embedIn.width]) });
      }
    }
    const embedTensorMs = now() - t;
    prepared.push({ detectorFeeds, embedFeeds, crops, faces: faces.length });
    costs.push({ detectorResizeMs, detectorTensorMs, detectorPostMs, alignMs, embedTensorMs });
  }
  const totalFaces = prepared.reduce((sum, p) => sum + p.faces, 0);
  info(`prepared ${prepared.length} images, ${totalFaces} faces${detectionMismatches ? `; ${detectionMismatches} images where the raw decode found a different face count` : ''}`);
  if (totalFaces === 0) throw new Error('No face found in the selected images; the embedder parts of the benchmark need at least one');

  // ---- (a) platform and (b) raw, alternating --------------------------------------------------
  // Per-image totals over the rounds, to report the two image sizes apart.
  const platformImageMs = new Array<number>(bytes.length).fill(0);
  const rawImageMs = new Array<number>(bytes.length).fill(0);
  const platformPass = async () => {
    const stage = { decode: 0, detect: 0, align: 0, embed: 0 };
    let faces = 0;
    const start = now();
    for (const [index, imageBytes] of bytes.entries()) {
      const t0 = now();
      const { faces: found, timings } = await pipeline.analyze(imageBytes);
      platformImageMs[index] += now() - t0;
      stage.decode += timings.decodeMs;
      stage.detect += timings.detectMs;
      stage.align += timings.alignMs;
      stage.embed += timings.embedMs;
      faces += found.length;
    }
    return { ms: now() - start, stage, faces };
  };
  const rawPass = async () => {
    const stage = { detect: 0, embed: 0 };
    const start = now();
    for (const [index, image] of prepared.entries()) {
      const t0 = now();
      await rawDetector.run(image.detectorFeeds);
      const t1 = now();
      for (const feeds of image.embedFeeds) await rawEmbedder.run(feeds);
      const t2 = now();
      stage.detect += t1 - t0;
      stage.embed += t2 - t1;
      rawImageMs[index] += t2 - t0;
    }
    return { ms: now() - start, stage };
  };

  info(`warm-up: ${warmup} images per path`);
  for (let i = 0; i < warmup; i++) {
    await pipeline.analyze(bytes[i % bytes.length]);
    const image = prepared[i % prepared.length];
    await rawDetector.run(image.detectorFeeds);
    for (const feeds of image.embedFeeds) await rawEmbedder.run(feeds);
  }

  const platform = { ms: 0, stage: { decode: 0, detect: 0, align: 0, embed: 0 }, faces: 0 };
  const raw = { ms: 0, stage: { detect: 0, embed: 0 } };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? (['platform', 'raw'] as const) : (['raw', 'platform'] as const);
    for (const path of order) {
      if (path === 'platform') {
        const p = await platformPass();
        platform.ms += p.ms;
        platform.faces = p.faces;
        for (const key of Object.keys(platform.stage) as (keyof typeof platform.stage)[]) platform.stage[key] += p.stage[key];
        info(`round ${r + 1}: platform ${(p.ms / bytes.length).toFixed(2)} ms/image, ${p.faces} faces`);
      } else {
        const p = await rawPass();
        raw.ms += p.ms;
        raw.stage.detect += p.stage.detect;
        raw.stage.embed += p.stage.embed;
        info(`round ${r + 1}: raw      ${(p.ms / bytes.length).toFixed(2)} ms/image`);
      }
    }
  }
  const timedImages = bytes.length * rounds;
  const platformMsPerImage = platform.ms / timedImages;
  const rawMsPerImage = raw.ms / timedImages;
  const perImage = (ms: number) => round(ms / timedImages);
  for (const source of ['london', 'lfw'] as const) {
    const indices = selection.flatMap((image, i) => (image.source === source ? [i] : []));
    if (indices.length === 0) continue;
    const msOf = (times: number[]) => (mean(indices.map((i) => times[i])) / rounds).toFixed(2);
    info(`${source}: platform ${msOf(platformImageMs)} ms/image, raw ${msOf(rawImageMs)} ms/image`);
  }

  // ---- (c) embedder alone: batch 1 looped vs one run of `batch` faces --------------------------
  const allCrops = prepared.flatMap((p) => p.crops);
  const batchCrops = Array.from({ length: batch }, (_, i) => allCrops[i % allCrops.length]);
  // Looped: what the platform does with EMBED_BATCH_SIZE=1, the file's fixed-batch graph, one image per run.
  const loopFeeds: Feeds[] = batchCrops.flatMap((crop) => {
    const t = viewsTensor([crop]);
    return Array.from({ length: views }, (_, v) => ({
      [embedIn.name]: new ort.Tensor('float32', (t.data as Float32Array).subarray(v * cropPlane, (v + 1) * cropPlane), [1, 3, embedIn.height, embedIn.width]),
    }));
  });
  const batchFeeds: Feeds = { [embedIn.name]: viewsTensor(batchCrops) };
  const timeLoop = async (session: ort.InferenceSession) => {
    const t = now();
    for (const feeds of loopFeeds) await session.run(feeds);
    return now() - t;
  };
  const timeBatch = async () => {
    const t = now();
    await rawEmbedderDynamic.run(batchFeeds);
    return now() - t;
  };
  for (let i = 0; i < warmup; i++) {
    await timeLoop(rawEmbedderFixed);
    await timeLoop(rawEmbedderDynamic);
    await timeBatch();
  }
  const loopMs: number[] = [];
  const loopDynamicMs: number[] = [];
  const batchMs: number[] = [];
  for (let i = 0; i < EMBED_ITERATIONS; i++) {
    loopMs.push(await timeLoop(rawEmbedderFixed));
    loopDynamicMs.push(await timeLoop(rawEmbedderDynamic));
    batchMs.push(await timeBatch());
  }
  const facesPerSecond = (ms: number[]) => round((batch * 1000) / mean(ms), 1);
  info(`embedder: ${batch} faces × ${views} views: loop (fixed graph) ${mean(loopMs).toFixed(1)} ms, ` +
    `loop (dynamic graph, batch 1) ${mean(loopDynamicMs).toFixed(1)} ms, one batch ${mean(batchMs).toFixed(1)} ms`);

  // Sanity check: the raw embedder output for the first face, flip-summed, matches the platform's.
  const first = prepared.findIndex((p) => p.faces > 0);
  const platformEmbedding = (await pipeline.analyze(bytes[first])).faces[0].embedding;
  const rawOut = (await rawEmbedder.run(prepared[first].embedFeeds[0]))[embedOut].data as Float32Array;
  const dim = embedderManifest.output.dimension;
  const summed = new Float32Array(dim);
  for (let v = 0; v < views; v++) for (let i = 0; i < dim; i++) summed[i] += rawOut[v * dim + i];
  const norm = Math.hypot(...summed);
  let cosine = 0;
  for (let i = 0; i < dim; i++) cosine += (summed[i] / norm) * platformEmbedding[i];
  info(`check: cosine(raw flip-sum, platform embedding) = ${cosine.toFixed(6)}`);

  // Where the platform's time goes beyond session.run (per image, measured during preparation).
  const costMean = (key: keyof PrepCosts) => round(mean(costs.map((c) => c[key])));
  const overheadBreakdownMs = {
    decode: perImage(platform.stage.decode),
    detectorResize: costMean('detectorResizeMs'),
    detectorTensor: costMean('detectorTensorMs'),
    detectorPostprocess: costMean('detectorPostMs'),
    align: costMean('alignMs'),
    embedderTensor: costMean('embedTensorMs'),
  };

  const result = {
    images: imageCount,
    threads,
    batch,
    platform: {
      imagesPerSecond: round(1000 / platformMsPerImage, 2),
      facesFound: platform.faces,
      stageMs: {
        decode: perImage(platform.stage.decode),
        detect: perImage(platform.stage.detect),
        align: perImage(platform.stage.align),
        embed: perImage(platform.stage.embed),
      },
    },
    raw: {
      imagesPerSecond: round(1000 / rawMsPerImage, 2),
      stageMs: { detect: perImage(raw.stage.detect), embed: perImage(raw.stage.embed) },
    },
    overheadRatio: round(platformMsPerImage / rawMsPerImage),
    embedder: { loopFacesPerSecond: facesPerSecond(loopMs), batchFacesPerSecond: facesPerSecond(batchMs) },
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    // Extra context beyond the fixed shape above.
    rounds,
    seed,
    imageSources: sources,
    /** 1-minute load average before and after: well above 1 means other processes shared the CPUs. */
    loadAverage: { before: round(loadBefore, 2), after: round(os.loadavg()[0], 2) },
    overheadBreakdownMs,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);

  await pipeline.release();
  await Promise.all([rawDetector.release(), rawEmbedderDynamic.release(), rawEmbedderFixed.release()]);
}

main().catch((error: unknown) => {
  process.stderr.write(`pipeline benchmark failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
