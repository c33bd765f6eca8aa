import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { dot, squaredDistanceFromCosine } from '../../common/src/index.js';
import type { CropAlignment } from '../../inference/src/alignment/face-archive.js';
import type { DetectionOptions } from '../../inference/src/detection/face.detector.js';
import type { EmbeddedFace, FacePipeline } from '../../inference/src/face.pipeline.js';
import type { DecodedImage } from '../../inference/src/image/image.decoder.js';
import { EmbeddingCache } from './embedding-cache.js';
import { LfwPair, parseLfwPairs } from './lfw-pairs.js';
import { pickSubjectFace } from './subject-face.js';
import type { FoldScoredPair } from './ten-fold.js';

/** A dataset file or image that is missing or unreadable: the user's input, not a bug. */
export class DatasetError extends Error {}

export interface LfwDataset {
  pairsPath: string;
  /** Folder of `Name/Name_NNNN.jpg`; the pairs' paths are relative to it. */
  imageDir: string;
  pairs: LfwPair[];
}

export const defaultLfwDir = (): string => resolve(process.env.DATASET_DIR || '../shared/datasets', 'lfw');

/** Reads `<dir>/pairs.txt` and checks that `<dir>/lfw-deepfunneled/` is there. */
export async function readLfwDataset(dir: string): Promise<LfwDataset> {
  const pairsPath = join(dir, 'pairs.txt');
  const imageDir = join(dir, 'lfw-deepfunneled');
  for (const path of [pairsPath, imageDir]) {
    if (!existsSync(path)) {
      throw new DatasetError(
        `LFW is not where it should be: ${path} is missing. Pass --lfw DIR (the folder holding pairs.txt and ` +
          'lfw-deepfunneled/) or set DATASET_DIR to the folder holding lfw/.',
      );
    }
  }
  return { pairsPath, imageDir, pairs: parseLfwPairs(await readFile(pairsPath, 'utf8')) };
}

/** The face-selection policy of `embedSubjectFaces`, as cache files name it. */
export const SUBJECT_POLICY = 'subject';

/**
 * Opens the cache for this pipeline's subject-face embeddings. The fingerprint covers both
 * manifests (weights' sha256, pre-processing, template) and the detection options, but not the
 * embedder's decision threshold, which `calibrate-threshold --write` changes without changing any
 * embedding.
 */
export function openSubjectEmbeddingCache(dir: string, pipeline: FacePipeline, detection: DetectionOptions, via?: CropAlignment): EmbeddingCache {
  const embedder = { ...pipeline.embedder.manifest, threshold: undefined };
  const fingerprint = createHash('sha256')
    // `via` only when given, so existing caches keep their names.
    .update(JSON.stringify({ detector: pipeline.detector.manifest, embedder, detection, ...(via && { via }) }))
    .digest('hex')
    .slice(0, 12);
  return EmbeddingCache.open(dir, {
    model: embedder.id, tag: SUBJECT_POLICY, fingerprint, dimension: embedder.output.dimension,
  });
}

export interface EmbedImagesOptions {
  cache?: EmbeddingCache;
  /** Prefix of the progress lines. */
  label: string;
  progressIntervalMs?: number;
  progress?: (line: string) => void;
  /** Sees each freshly embedded face with its crop (cache hits have none: pass no cache to see all). */
  onEmbedded?: (path: string, face: EmbeddedFace) => void;
  /** Embed through a crop of this alignment (see FacePipeline.embedFaces); the cache must be opened with it too. */
  via?: CropAlignment;
}

export interface SubjectEmbeddings {
  /** By the path given. */
  embeddings: Map<string, Float32Array>;
  /** Images where nothing was detected and the centre-crop fallback was embedded. */
  undetected: number;
  /** Images answered by the cache. */
  cached: number;
}

type Prepared = { hit: true; sha256: string; detected: boolean; embedding: Float32Array } | { hit: false; sha256: string; image: DecodedImage };

/**
 * Embeds the subject of each image (`pickSubjectFace`: the detected face nearest the centre, a
 * centre crop when none is detected) with the API's own pipeline. The next image is read and
 * decoded (libvips, off the main thread) while the current one runs through ONNX; images already in
 * the cache are neither decoded nor embedded. Progress goes to stderr every ~2 s and at the end.
 */
export async function embedSubjectFaces(
  pipeline: FacePipeline,
  paths: readonly string[],
  { cache, label, progressIntervalMs = 2000, progress = (line) => process.stderr.write(`${line}\n`), onEmbedded, via }: EmbedImagesOptions,
): Promise<SubjectEmbeddings> {
  const alignment = pipeline.embedder.manifest.alignment;
  const embeddings = new Map<string, Float32Array>();
  let undetected = 0;
  let cached = 0;

  const prepare = async (path: string): Promise<Prepared> => {
    try {
      const bytes = await readFile(path);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const hit = cache?.get(sha256);
      if (hit) return { hit: true, sha256, ...hit };
      return { hit: false, sha256, image: await pipeline.decode(bytes) };
    } catch (error) {
      throw new DatasetError(`Cannot read image ${path}: ${(error as Error).message}`);
    }
  };

  const started = performance.now();
  let reported = started;
  const report = (done: number) => {
    const seconds = (performance.now() - started) / 1000;
    const rate = done / Math.max(seconds, 1e-9);
    const eta = done < paths.length ? `, ETA ${formatDuration((paths.length - done) / rate)}` : ` in ${formatDuration(seconds)}`;
    progress(
      `${label}: ${done}/${paths.length} images (${cached} cached), ${rate.toFixed(1)} images/s${eta}, ` +
        `${undetected} without a detected face`,
    );
  };

  let next = paths.length > 0 ? prepare(paths[0]) : undefined;
  for (let i = 0; i < paths.length; i++) {
    const current = await next!;
    if (i + 1 < paths.length) {
      next = prepare(paths[i + 1]);
      next.catch(() => undefined); // surfaced when awaited
    }
    let embedding: Float32Array;
    let detected: boolean;
    if (current.hit) {
      ({ embedding, detected } = current);
      cached++;
    } else {
      const subject = pickSubjectFace(current.image, await pipeline.detect(current.image), alignment);
      const [embedded] = await pipeline.embedFaces(current.image, [subject.face], undefined, via);
      onEmbedded?.(paths[i], embedded);
      embedding = embedded.embedding;
      detected = subject.detected;
      cache?.put(current.sha256, { embedding, detected });
    }
    if (!detected) undetected++;
    embeddings.set(paths[i], embedding);
    const now = performance.now();
    if (now - reported >= progressIntervalMs || i + 1 === paths.length) {
      reported = now;
      report(i + 1);
    }
  }
  return { embeddings, undetected, cached };
}

/** Squared L2 distances of the pairs' embeddings (`embeddingOf` maps a pair's path to its key). */
export function scorePairs(
  pairs: readonly LfwPair[],
  embeddings: ReadonlyMap<string, Float32Array>,
  embeddingOf: (path: string) => string = (path) => path,
): FoldScoredPair[] {
  const get = (path: string) => {
    const embedding = embeddings.get(embeddingOf(path));
    if (!embedding) throw new Error(`No embedding for ${path}`);
    return embedding;
  };
  return pairs.map((p) => ({ fold: p.fold, same: p.same, distance: squaredDistanceFromCosine(dot(get(p.a), get(p.b))) }));
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
