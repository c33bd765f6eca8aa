import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { dot, squaredDistanceFromCosine } from '../../../../libs/common/src/index.js';
import { AppConfig } from '../../../../libs/config/src/index.js';
import { parseLfwPairs, pickSubjectFace, tenFoldAccuracy } from '../../../../libs/evaluation/src/index.js';
import { DecodedImage, FacePipeline } from '../../../../libs/inference/src/index.js';
import { CliCommand, stringFlag } from './command.js';

export const CALIBRATION_SOURCE =
  'LFW pairs.txt 10-fold (View 2), threshold = mean of per-fold thresholds chosen on the other 9 folds';

const PROGRESS_EVERY = 500;

export interface CalibrationReport {
  model: string;
  pairs: number;
  images: number;
  undetected: number;
  accuracy: number;
  stdErr: number;
  foldThresholds: number[];
  threshold: number;
  date: string;
  source: string;
}

/**
 * Derives the embedder's verification threshold on LFW's 10-fold "View 2" protocol: every distinct
 * image of pairs.txt is embedded once (the subject = the detected face nearest the centre, a centre
 * crop where none is detected), each fold's threshold is chosen on the other nine, and the mean of
 * the fold thresholds is the value to ship. `--write` records it in the embedder's manifest.
 */
export const calibrateThresholdCommand: CliCommand = {
  name: 'calibrate-threshold',
  summary: "Measure LFW 10-fold accuracy and derive the embedder's threshold (--write: into its manifest)",
  usage: 'calibrate-threshold [--lfw DIR] [--write]',
  async run(args, config) {
    const lfwDir = resolve(stringFlag(args, 'lfw', join(process.env.DATASET_DIR || '../shared/datasets', 'lfw')));
    const pairsPath = join(lfwDir, 'pairs.txt');
    const imageDir = join(lfwDir, 'lfw-deepfunneled');
    for (const path of [pairsPath, imageDir]) {
      if (!existsSync(path)) {
        throw new Error(
          `LFW is not where it should be: ${path} is missing. Pass --lfw DIR (the folder holding pairs.txt and ` +
            'lfw-deepfunneled/) or set DATASET_DIR to the folder holding lfw/.',
        );
      }
    }
    const pairs = parseLfwPairs(await readFile(pairsPath, 'utf8'));
    const images = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];

    const logger = new Logger('calibrate');
    const pipeline = await createPipeline(config, logger);
    const embeddings = new Map<string, Float32Array>();
    let undetected = 0;
    try {
      const alignment = pipeline.embedder.manifest.alignment;
      const started = performance.now();
      const decode = async (relative: string): Promise<DecodedImage> => {
        const path = join(imageDir, relative);
        try {
          return await pipeline.decode(await readFile(path));
        } catch (error) {
          throw new Error(`Cannot read LFW image ${path}: ${(error as Error).message}`);
        }
      };
      // Decode (libvips, off the main thread) one image ahead of the ONNX work.
      let next = decode(images[0]);
      for (let i = 0; i < images.length; i++) {
        const image = await next;
        if (i + 1 < images.length) {
          next = decode(images[i + 1]);
          next.catch(() => undefined); // surfaced when awaited
        }
        const { face, detected } = pickSubjectFace(image, await pipeline.detect(image), alignment);
        if (!detected) undetected++;
        const [embedded] = await pipeline.embedFaces(image, [face]);
        embeddings.set(images[i], embedded.embedding);
        const done = i + 1;
        if (done % PROGRESS_EVERY === 0 || done === images.length) {
          const seconds = (performance.now() - started) / 1000;
          process.stderr.write(
            `calibrate: ${done}/${images.length} images, ${(done / seconds).toFixed(1)} images/s, ${undetected} without a detected face\n`,
          );
        }
      }
    } finally {
      await pipeline.release();
    }

    const scored = pairs.map((p) => ({
      fold: p.fold,
      same: p.same,
      distance: squaredDistanceFromCosine(dot(embeddings.get(p.a)!, embeddings.get(p.b)!)),
    }));
    const result = tenFoldAccuracy(scored);
    const model = pipeline.embedder.manifest.id;
    const report: CalibrationReport = {
      model,
      pairs: pairs.length,
      images: images.length,
      undetected,
      accuracy: result.accuracy,
      stdErr: result.stdErr,
      foldThresholds: result.foldThresholds,
      threshold: result.threshold,
      date: new Date().toISOString().slice(0, 10),
      source: CALIBRATION_SOURCE,
    };
    logger.log(
      `${model}: LFW 10-fold accuracy ${(100 * report.accuracy).toFixed(2)}% ± ${(100 * report.stdErr).toFixed(2)}%, ` +
        `threshold ${report.threshold.toFixed(4)} (squared L2); ${undetected} of ${images.length} images used a centre crop`,
    );
    if (args.flags.get('write') !== undefined) {
      const path = await writeThreshold(config.models.manifestDir, report);
      logger.log(`Threshold written to ${path}`);
    }
    return report;
  },
};

async function createPipeline(config: AppConfig, logger: Logger): Promise<FacePipeline> {
  const { models, detection, limits } = config;
  return FacePipeline.create(
    {
      modelDir: models.dir,
      manifestDir: models.manifestDir,
      detectorId: models.detector,
      embedderId: models.embedder,
      session: { executionProviders: models.executionProviders, intraOpThreads: models.intraOpThreads },
      embedBatchSize: models.embedBatchSize,
      detection,
      limits: { maxBytes: limits.maxUploadBytes, maxPixels: limits.maxImagePixels },
    },
    logger,
  );
}

/** Replaces the manifest's `threshold` and keeps everything else (2-space JSON, trailing newline). */
async function writeThreshold(manifestDir: string, report: CalibrationReport): Promise<string> {
  const path = join(manifestDir, `${report.model}.manifest.json`);
  const manifest = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  manifest.threshold = {
    squaredDistance: Math.round(report.threshold * 10_000) / 10_000,
    source:
      `${report.source}; 10-fold accuracy ${(100 * report.accuracy).toFixed(2)}% ± ${(100 * report.stdErr).toFixed(2)}%; ` +
      `${report.undetected} of ${report.images} images without a detected face used a centre crop; measured ${report.date}`,
  };
  await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`);
  return path;
}
