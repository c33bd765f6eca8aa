import { join } from 'node:path';
import { dot, squaredDistanceFromCosine } from '../../../libs/common/src/index.js';
import { AppConfig } from '../../../libs/config/src/index.js';
import { LfwPair } from '../../../libs/evaluation/src/lfw-pairs.js';
import { areaUnderCurve, renderRocPng, rocCurve, RocPoint } from '../../../libs/evaluation/src/roc.js';
import { crossValidatedAccuracy, FoldScoredPair, TenFoldResult } from '../../../libs/evaluation/src/ten-fold.js';
import {
  Adapter, AdapterError, AdapterMap, AdapterMethod, AdapterStore, applyAdapter, fitAdapterMap, PairedFaces,
} from '../../../libs/training/src/index.js';
import { ParsedArgs, readLfwDatasetFlag } from './commands/command.js';
import { embedImages } from './embed-images.js';
import { listLfwImages } from './lfw-identification.js';
import { percent } from './script-runner.js';

/** The two shipped embedders: the gallery was enrolled with dlib's (the old system), queries come from MobileFaceNet (the new one). */
export const DEFAULT_GALLERY_MODEL = 'dlib-resnet-128';
export const DEFAULT_QUERY_MODEL = 'mobilefacenet-128';

/** Every LFW image embedded by both models, keyed by its path relative to the image folder (`Name/Name_NNNN.jpg`). */
export interface CrossModelLfw {
  pairsPath: string;
  pairs: LfwPair[];
  /** Every image of the image folder, sorted: the pairs' images and the rest, which only trains adapters. */
  images: string[];
  /** The new model's embeddings (adapters map from this space). */
  from: { model: string; embeddings: Map<string, Float32Array>; undetected: number };
  /** The old model's embeddings (adapters map into this space). */
  to: { model: string; embeddings: Map<string, Float32Array>; undetected: number };
}

export async function embedLfwWithBothModels(args: ParsedArgs, config: AppConfig, from: string, to: string): Promise<CrossModelLfw> {
  const { pairsPath, imageDir, pairs } = await readLfwDatasetFlag(args);
  const images = await listLfwImages(imageDir);
  const embed = async (model: string) => {
    const flags = new Map(args.flags).set('model', model);
    const embedded = await embedImages({ ...args, flags }, config, images.map((p) => join(imageDir, p)), `embed ${model}`);
    return { model: embedded.manifest.id, embeddings: new Map(images.map((p) => [p, embedded.embeddings.get(join(imageDir, p))!])), undetected: embedded.undetected };
  };
  return { pairsPath, pairs, images, from: await embed(from), to: await embed(to) };
}

const identityOf = (path: string) => path.split('/')[0];

/**
 * The faces the map held out for `heldOutFold` may learn from: every LFW image of an identity that
 * appears nowhere in that fold's pairs (the other folds' identities, LFW View 2's folds being
 * identity-disjoint, and the identities pairs.txt never uses). null: every image.
 */
export function trainingFaces(data: CrossModelLfw, heldOutFold: number | null): PairedFaces {
  const heldOut = new Set(data.pairs.filter((p) => p.fold === heldOutFold).flatMap((p) => [identityOf(p.a), identityOf(p.b)]));
  const images = data.images.filter((path) => !heldOut.has(identityOf(path)));
  return {
    identities: images.map(identityOf),
    from: images.map((p) => data.from.embeddings.get(p)!),
    to: images.map((p) => data.to.embeddings.get(p)!),
  };
}

export interface AdapterTrainingOptions {
  method: AdapterMethod;
  seed: number;
  epochs: number;
  /** Triplet margin α (FaceNet: 0.2) and residual units (0: affine adapter). */
  margin: number;
  hidden: number;
  /** Held-out folds, one map each; null in the list: one map on every image. */
  folds: (number | null)[];
  progress: (line: string) => void;
}

/** Hyperparameters of the triplet method that the CLI does not expose: batches of 32 identities × 4 faces, Adam's step. */
const TRIPLET_SETTINGS = { identitiesPerBatch: 32, facesPerIdentity: 4, learningRate: 2e-4 };

/** Fits one map per held-out fold on the LFW images both models embedded, and saves the adapter. */
export async function trainLfwAdapter(store: AdapterStore, data: CrossModelLfw, options: AdapterTrainingOptions): Promise<{ adapter: Adapter; path: string }> {
  const { method, seed, epochs, margin, hidden, folds, progress } = options;
  const createdAt = new Date();
  const maps: AdapterMap[] = folds.map((heldOutFold, f) => {
    const faces = trainingFaces(data, heldOutFold);
    const identities = new Set(faces.identities).size;
    const label = `${method} ${heldOutFold === null ? 'all folds' : `held-out fold ${heldOutFold}`} (${f + 1}/${folds.length})`;
    progress(`train ${label}: ${faces.identities.length} faces of ${identities} identities`);
    const fitted = fitAdapterMap(method, faces, {
      ...TRIPLET_SETTINGS, seed, epochs, margin, hidden,
      onEpoch: (e) => progress(
        `train ${label}: epoch ${e.epoch}/${epochs} loss ${e.loss.toFixed(5)}, semi-hard ${percent(e.semiHardShare, 1)}, ` +
          `fallback ${percent(e.fallbackShare, 1)} of ${e.pairs} anchor-positive pairs (${e.seconds.toFixed(1)} s)`,
      ),
    });
    const metrics: Record<string, number> = { seconds: fitted.seconds };
    if (fitted.epochs.length > 0) {
      metrics.firstEpochLoss = fitted.epochs[0].loss;
      metrics.lastEpochLoss = fitted.epochs.at(-1)!.loss;
      metrics.lastEpochSemiHardShare = fitted.epochs.at(-1)!.semiHardShare;
    }
    progress(`train ${label}: done in ${fitted.seconds.toFixed(1)} s`);
    return { heldOutFold, trainingFaces: faces.identities.length, trainingIdentities: identities, metrics, model: fitted.model };
  });
  const adapter: Adapter = {
    id: AdapterStore.newId(method, data.from.model, data.to.model, createdAt),
    from: data.from.model,
    to: data.to.model,
    method,
    seed,
    createdAt: createdAt.toISOString(),
    split:
      `LFW (${data.pairsPath}): the map for held-out fold k learns from every LFW image of the identities that appear in no pair ` +
      'of fold k (View 2 folds are identity-disjoint); a map with heldOutFold null learns from every image',
    hyperparameters: method === 'triplet' ? { epochs, margin, hidden, ...TRIPLET_SETTINGS } : method === 'least-squares' ? { ridge: 1e-3 } : {},
    maps,
  };
  return { adapter, path: await store.save(adapter) };
}

export interface VerificationResult {
  accuracy: number;
  stdErr: number;
  auc: number;
  foldAccuracies: number[];
}

interface ScoredProtocol {
  result: VerificationResult;
  roc: RocPoint[];
}

export interface LfwCrossReport {
  /** Old model against itself (the old system). */
  aa: number;
  /** New model against itself. */
  bb: number;
  /** A new-model query against an old-model gallery image, no adapter (null when the dimensions differ). */
  crossRaw: number | null;
  /** The same through the adapter (`adapter`). */
  crossAdapted: number;
  /** crossAdapted ≥ aa: a new-model query does at least as well against the old gallery as the old system. */
  compatible: boolean;
  gallery: string;
  query: string;
  adapter: string;
  pairs: number;
  undetected: { gallery: number; query: number };
  details: Record<'aa' | 'bb' | 'crossRaw', VerificationResult | null>;
  /** Every adapter evaluated, by method. */
  adapters: Record<string, VerificationResult & { id: string; method: AdapterMethod }>;
  rocPng: string;
}

const distance = (x: Float32Array, y: Float32Array) => squaredDistanceFromCosine(dot(x, y));

function protocol(folds: number[], scoresFor: (heldOut: number) => FoldScoredPair[], pooled: FoldScoredPair[]): ScoredProtocol {
  const tenFold: TenFoldResult = crossValidatedAccuracy(folds, scoresFor);
  const roc = rocCurve(pooled);
  return { result: { accuracy: tenFold.accuracy, stdErr: tenFold.stdErr, auc: areaUnderCurve(roc), foldAccuracies: tenFold.foldAccuracies }, roc };
}

/**
 * The LFW protocol across models (FaceNet §7, Figure 8): in every pair the first image is the gallery
 * side, embedded by the old model A, and the second the query, embedded by the new model B. A–A and
 * B–B are the two systems alone; B→A raw compares the spaces as they are; B→A adapted maps the query
 * with the adapter's map that never saw the pair's fold, and the threshold is chosen on the other
 * folds through that same map.
 */
export async function lfwCross(data: CrossModelLfw, adapters: Adapter[], rocPng: string): Promise<LfwCrossReport> {
  const { pairs } = data;
  const a = data.to.embeddings;
  const b = data.from.embeddings;
  const folds = [...new Set(pairs.map((p) => p.fold))].sort((x, y) => x - y);
  const fixed = (score: (p: LfwPair) => number) => {
    const scored = pairs.map((p) => ({ fold: p.fold, same: p.same, distance: score(p) }));
    return protocol(folds, () => scored, scored);
  };
  const aa = fixed((p) => distance(a.get(p.a)!, a.get(p.b)!));
  const bb = fixed((p) => distance(b.get(p.a)!, b.get(p.b)!));
  const sameDimension = a.get(pairs[0].a)!.length === b.get(pairs[0].b)!.length;
  const crossRaw = sameDimension ? fixed((p) => distance(a.get(p.a)!, b.get(p.b)!)) : undefined;

  const adapted = adapters.map((adapter) => {
    const mapFor = new Map(adapter.maps.map((m) => [m.heldOutFold, m]));
    for (const fold of folds) {
      if (!mapFor.has(fold)) {
        throw new AdapterError(`Adapter ${adapter.id} has no map held out from fold ${fold}, so it cannot be evaluated on LFW without training on the test pairs; train one with --folds all`);
      }
    }
    const scoresFor = (heldOut: number) => {
      const { model } = mapFor.get(heldOut)!;
      return pairs.map((p) => ({ fold: p.fold, same: p.same, distance: distance(a.get(p.a)!, applyAdapter(model, b.get(p.b)!)) }));
    };
    const perFold = new Map(folds.map((fold) => [fold, scoresFor(fold)]));
    // The ROC pools every pair scored by the map that did not see its fold.
    const pooled = folds.flatMap((fold) => perFold.get(fold)!.filter((p) => p.fold === fold));
    return { adapter, ...protocol(folds, (fold) => perFold.get(fold)!, pooled) };
  });
  const main = adapted.find((x) => x.adapter.method === 'triplet') ?? adapted[0];

  const curves = [
    { label: `A–A ${data.to.model}: ${percent(aa.result.accuracy)}, AUC ${aa.result.auc.toFixed(4)}`, points: aa.roc },
    { label: `B–B ${data.from.model}: ${percent(bb.result.accuracy)}, AUC ${bb.result.auc.toFixed(4)}`, points: bb.roc },
    ...(crossRaw ? [{ label: `B→A raw: ${percent(crossRaw.result.accuracy)}, AUC ${crossRaw.result.auc.toFixed(4)}`, points: crossRaw.roc }] : []),
    ...adapted.map((x) => ({ label: `B→A ${x.adapter.method}: ${percent(x.result.accuracy)}, AUC ${x.result.auc.toFixed(4)}`, points: x.roc })),
  ];
  await renderRocPng(curves, rocPng, { title: `LFW across models: gallery A ${data.to.model}, query B ${data.from.model}`, tarMin: 0 });

  return {
    aa: aa.result.accuracy,
    bb: bb.result.accuracy,
    crossRaw: crossRaw?.result.accuracy ?? null,
    crossAdapted: main.result.accuracy,
    compatible: main.result.accuracy >= aa.result.accuracy,
    gallery: data.to.model,
    query: data.from.model,
    adapter: main.adapter.id,
    pairs: pairs.length,
    undetected: { gallery: data.to.undetected, query: data.from.undetected },
    details: { aa: aa.result, bb: bb.result, crossRaw: crossRaw?.result ?? null },
    adapters: Object.fromEntries(adapted.map((x) => [x.adapter.method, { id: x.adapter.id, method: x.adapter.method, ...x.result }])),
    rocPng,
  };
}

export function lfwCrossSummary(report: LfwCrossReport): string {
  const line = (name: string, r: VerificationResult | null) =>
    `  ${name.padEnd(22)} ${r ? `${percent(r.accuracy)} ± ${percent(r.stdErr)}, AUC ${r.auc.toFixed(5)}` : 'n/a (dimensions differ)'}`;
  return [
    `LFW across models: gallery A = ${report.gallery}, query B = ${report.query}, ${report.pairs} pairs (10-fold accuracy ± s.e.)`,
    line('A–A', report.details.aa),
    line('B–B', report.details.bb),
    line('B→A raw', report.details.crossRaw),
    ...Object.values(report.adapters).map((x) => line(`B→A ${x.method}`, x)),
    `  adapter                ${report.adapter}`,
    `  crossAdapted ≥ aa      ${report.compatible ? 'yes' : 'no'} (${percent(report.crossAdapted)} vs ${percent(report.aa)})`,
    `  ROC                    ${report.rocPng}`,
  ].join('\n');
}
