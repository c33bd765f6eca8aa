import { Logger } from '@nestjs/common';
import { join, relative } from 'node:path';
import {
  accuracyAt, embedSubjectFaces, LfwPair, scorePairs, tenFoldAccuracy,
} from '../../../../libs/evaluation/src/index.js';
import {
  assessFaceQuality, FacePipeline, FaceQuality, QualityReason, qualityFailures,
} from '../../../../libs/inference/src/index.js';
import { facePipelineOptions } from '../../../../libs/recognition/src/index.js';
import { CliCommand, readLfwDatasetFlag } from './command.js';

const QUANTILES = [0.001, 0.01, 0.05, 0.5, 0.95, 0.99, 0.999];

interface Measured {
  quality: FaceQuality;
  reasons: QualityReason[];
}

/**
 * Measures the enrollment quality gate (QUALITY_* settings) on LFW: each distinct image of
 * pairs.txt is analysed like an enrollment (subject face as in calibrate-threshold). Reported: the
 * quantiles of every measure (angles as magnitudes), how many images the gate rejects and why, and
 * the 10-fold accuracy on all pairs next to the pairs whose two images pass; pairs with a rejected
 * image are scored at the all-pairs threshold, to show whether the gate removes the hard ones.
 */
export const qualityReportCommand: CliCommand = {
  name: 'quality-report',
  summary: 'Measure the enrollment quality gate on LFW: rejections by reason, accuracy with and without them',
  usage: 'quality-report [--lfw DIR]',
  async run(args, config) {
    const { imageDir, pairs } = await readLfwDatasetFlag(args);
    const images = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
    const logger = new Logger('quality-report');
    const pipeline = await FacePipeline.create(facePipelineOptions(config), logger);
    const measured = new Map<string, Measured>();
    // No cache: every image must pass through the pipeline for its crop to be measured.
    const { embeddings, undetected } = await embedSubjectFaces(pipeline, images.map((i) => join(imageDir, i)), {
      label: 'quality-report',
      onEmbedded: (path, face) => {
        const quality = assessFaceQuality(face, face.crop);
        measured.set(relative(imageDir, path), { quality, reasons: qualityFailures(quality, config.quality) });
      },
    }).finally(() => pipeline.release());

    const all = [...measured.values()];
    const rejected = all.filter((m) => m.reasons.length > 0);
    const byReason = Object.fromEntries(Object.values(QualityReason).map((r) => [r, rejected.filter((m) => m.reasons.includes(r)).length]));
    const passes = (p: LfwPair) => measured.get(p.a)!.reasons.length === 0 && measured.get(p.b)!.reasons.length === 0;
    const score = (list: LfwPair[]) => scorePairs(list, embeddings, (path) => join(imageDir, path));
    const allPairs = tenFoldAccuracy(score(pairs));
    const passing = pairs.filter(passes);
    const passingPairs = tenFoldAccuracy(score(passing));
    const failing = score(pairs.filter((p) => !passes(p)));

    const report = {
      model: pipeline.embedder.manifest.id,
      images: images.length,
      undetected,
      thresholds: config.quality,
      quantiles: Object.fromEntries(
        (['interocularDistance', 'sharpness', 'yaw', 'pitch', 'roll', 'detectorScore'] as const).map((key) => {
          const angle = key === 'yaw' || key === 'pitch' || key === 'roll';
          const values = all.map((m) => (angle ? Math.abs(m.quality[key]) : m.quality[key])).sort((a, b) => a - b);
          return [key, Object.fromEntries(QUANTILES.map((q) => [`p${100 * q}`, round(values[Math.min(values.length - 1, Math.floor(q * values.length))])]))];
        }),
      ),
      rejected: { images: rejected.length, fraction: round(rejected.length / images.length), byReason },
      accuracy: {
        allPairs: { pairs: pairs.length, accuracy: round(allPairs.accuracy), stdErr: round(allPairs.stdErr), threshold: round(allPairs.threshold) },
        passingPairs: { pairs: passing.length, accuracy: round(passingPairs.accuracy), stdErr: round(passingPairs.stdErr), threshold: round(passingPairs.threshold) },
        rejectedPairsAtAllPairsThreshold: { pairs: failing.length, accuracy: failing.length ? round(accuracyAt(failing, allPairs.threshold)) : null },
      },
    };
    logger.log(
      `Gate rejects ${rejected.length} of ${images.length} LFW images (${JSON.stringify(byReason)}); 10-fold accuracy ` +
        `${(100 * allPairs.accuracy).toFixed(2)}% on all ${pairs.length} pairs, ${(100 * passingPairs.accuracy).toFixed(2)}% on the ${passing.length} passing`,
    );
    return report;
  },
};

const round = (v: number) => Math.round(v * 10_000) / 10_000;
