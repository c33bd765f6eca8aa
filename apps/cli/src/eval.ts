import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { AppConfig } from '../../../libs/config/src/index.js';
import { DatasetError, scorePairs } from '../../../libs/evaluation/src/lfw-embedder.js';
import { LfwPair } from '../../../libs/evaluation/src/lfw-pairs.js';
import { areaUnderCurve, renderRocPng, rocCurve, valAtFar, ValAtFar } from '../../../libs/evaluation/src/roc.js';
import { tenFoldAccuracy, TenFoldResult } from '../../../libs/evaluation/src/ten-fold.js';
import { parseTsvPairs } from '../../../libs/evaluation/src/tsv-pairs.js';
import { dequantizeInt8, quantizeInt8 } from '../../../libs/vector-index/src/index.js';
import { numberFlag, ParsedArgs, readLfwDatasetFlag, stringFlag, UsageError } from './commands/command.js';
import { percent, runScript, ScriptCommand, ScriptOutput } from './script-runner.js';
import { Adapter, AdapterError, AdapterMethod } from '../../../libs/training/src/index.js';
import { adapterStore, trainAdapter, trainingFlags } from './adapter-commands.js';
import { DEFAULT_GALLERY_MODEL, DEFAULT_QUERY_MODEL, embedLfwWithBothModels, lfwCross, lfwCrossSummary } from './lfw-cross.js';
import { lfwClustering, lfwClusteringSummary, multiImageIdentities, renderClusterContactSheet } from './lfw-clustering.js';
import { embedImages } from './embed-images.js';
import { lfwIdentification, lfwIdentificationSummary, listLfwImages } from './lfw-identification.js';

/** FARs at which VAL is reported (FaceNet reports VAL@1e-3). */
const REPORTED_FARS = [1e-2, 1e-3];
const DEFAULT_OUT_DIR = 'eval-out';

/** The `--json` line. */
interface EvalReport {
  accuracy: number;
  stdErr: number;
  auc: number;
  valAtFar: Record<string, number>;
  undetected: number;
  pairs: number;
  model: string;
  foldThresholds: number[];
  rocPng: string;
  /** 'int8' with --int8: every embedding quantized to 128 bytes and restored before scoring. */
  embeddings: 'float32' | 'int8';
  /** With --via: the stored-crop alignment each face was re-aligned from. */
  via?: string;
}

interface Evaluation {
  report: EvalReport;
  dataset: string;
  images: number;
  tenFold: TenFoldResult;
  vals: ValAtFar[];
}

const COMMON_FLAGS = ['model', 'json', 'out', 'cache', 'no-cache'];

const lfwCommand: ScriptCommand = {
  name: 'lfw',
  summary: 'LFW View 2 (pairs.txt): 10-fold accuracy, AUC, VAL@FAR, ROC plot',
  usage: 'lfw [--model ID] [--json] [--out DIR] [--lfw DIR] [--cache DIR | --no-cache] [--int8] [--via archive|MODEL_ID]',
  flags: [...COMMON_FLAGS, 'lfw', 'int8', 'via'],
  async run(args, config) {
    const { imageDir, pairs } = await readLfwDatasetFlag(args);
    return verificationOutput(await evaluate(args, config, { dataset: 'LFW View 2', plotName: 'lfw', pairs, pathOf: (relative) => join(imageDir, relative) }));
  },
};

const pairsCommand: ScriptCommand = {
  name: 'pairs',
  summary: 'The same protocol on your photos: TSV lines pathA<TAB>pathB<TAB>same(1|0)<TAB>fold(1..10)',
  usage: 'pairs --pairs FILE [--root DIR] [--model ID] [--json] [--out DIR] [--cache DIR | --no-cache] [--int8]',
  flags: [...COMMON_FLAGS, 'pairs', 'root', 'int8'],
  async run(args, config) {
    if (!args.flags.has('pairs')) throw new UsageError('--pairs FILE is required');
    const file = resolve(stringFlag(args, 'pairs'));
    if (!existsSync(file)) throw new DatasetError(`Pairs file ${file} does not exist`);
    const root = resolve(stringFlag(args, 'root', dirname(file)));
    const pairs = parseTsvPairs(await readFile(file, 'utf8'), file);
    for (const pair of pairs) {
      for (const path of [pair.a, pair.b]) {
        if (!existsSync(resolve(root, path))) throw new DatasetError(`${file} line ${pair.line}: ${resolve(root, path)} does not exist`);
      }
    }
    const name = basename(file, extname(file));
    return verificationOutput(await evaluate(args, config, { dataset: name, plotName: name, pairs, pathOf: (path) => resolve(root, path) }));
  },
};

const lfwIdentifyCommand: ScriptCommand = {
  name: 'lfw-identify',
  summary: 'Open-set identification on all of LFW: rank-1 and DIR at FPIR, HNSW next to brute force',
  usage: 'lfw-identify [--model ID] [--json] [--lfw DIR] [--cache DIR | --no-cache]',
  flags: ['model', 'json', 'cache', 'no-cache', 'lfw'],
  async run(args, config) {
    const { paths, embeddings, undetected, manifest } = await embedLfwImages(args, config, (all) => all);
    const report = lfwIdentification(paths, embeddings, manifest, config, undetected);
    return { report, summary: lfwIdentificationSummary(report) };
  },
};

const lfwClusterCommand: ScriptCommand = {
  name: 'lfw-cluster',
  summary: 'Clustering of the LFW identities with two or more images: pairwise and BCubed precision/recall, contact sheet',
  usage: 'lfw-cluster [--far RATE] [--model ID] [--json] [--out DIR] [--lfw DIR] [--cache DIR | --no-cache]',
  flags: [...COMMON_FLAGS, 'lfw', 'far'],
  async run(args, config) {
    const { imageDir, paths, embeddings, manifest } = await embedLfwImages(args, config, multiImageIdentities);
    const clustering = lfwClustering(paths, embeddings, manifest, config, numberFlag(args, 'far', config.defaultFar));
    const contactSheet = join(stringFlag(args, 'out', DEFAULT_OUT_DIR), `lfw-clusters-${manifest.id}.png`);
    await renderClusterContactSheet(clustering, (p) => join(imageDir, p), contactSheet);
    const report = { ...clustering.report, contactSheet };
    return { report, summary: lfwClusteringSummary(report) };
  },
};

const lfwCrossCommand: ScriptCommand = {
  name: 'lfw-cross',
  summary:
    'LFW with a new-model query (B) against an old-model gallery (A): A–A, B–B, B→A raw and through the adapters, ROC plot; ' +
    'trains an adapter first when none exists',
  usage: 'lfw-cross [--query MODEL] [--gallery MODEL] [--adapter ID] [--json] [--out DIR] [--lfw DIR] [--cache DIR | --no-cache]',
  flags: ['query', 'gallery', 'adapter', 'json', 'out', 'lfw', 'cache', 'no-cache'],
  async run(args, config) {
    const query = stringFlag(args, 'query', DEFAULT_QUERY_MODEL);
    const gallery = stringFlag(args, 'gallery', DEFAULT_GALLERY_MODEL);
    const data = await embedLfwWithBothModels(args, config, query, gallery);
    const store = adapterStore(config);
    const adapters: Adapter[] = [];
    if (args.flags.has('adapter')) {
      const adapter = await store.load(stringFlag(args, 'adapter'));
      if (adapter.from !== data.from.model || adapter.to !== data.to.model) {
        throw new AdapterError(`Adapter ${adapter.id} maps ${adapter.from} → ${adapter.to}, not query ${data.from.model} → gallery ${data.to.model}`);
      }
      adapters.push(adapter);
    } else {
      // The closed-form baseline and the trained map, the latest of each with a map for every fold; missing ones are trained first.
      const folds = [...new Set(data.pairs.map((p) => p.fold))];
      const evaluable = (adapter: Adapter) => folds.every((fold) => adapter.maps.some((m) => m.heldOutFold === fold));
      const latest = (method: AdapterMethod) => store.latest(data.from.model, data.to.model, method, evaluable);
      for (const method of ['procrustes', 'triplet'] as const) {
        adapters.push((await latest(method)) ?? (await trainAdapter(config, data, { ...trainingFlags(args), method })).adapter);
      }
      const leastSquares = await latest('least-squares');
      if (leastSquares) adapters.push(leastSquares);
    }
    const rocPng = join(stringFlag(args, 'out', DEFAULT_OUT_DIR), `lfw-cross-roc-${data.from.model}-to-${data.to.model}.png`);
    const report = await lfwCross(data, adapters, rocPng);
    return { report, summary: lfwCrossSummary(report) };
  },
};

const COMMANDS = [lfwCommand, pairsCommand, lfwIdentifyCommand, lfwClusterCommand, lfwCrossCommand];

/** Embeds the LFW images that `select` keeps (paths `Name/Name_NNNN.jpg`), keyed by those relative paths. */
async function embedLfwImages(args: ParsedArgs, config: AppConfig, select: (paths: string[]) => string[]) {
  const { imageDir } = await readLfwDatasetFlag(args);
  const paths = select(await listLfwImages(imageDir));
  const { embeddings, undetected, manifest } = await embedImages(args, config, paths.map((p) => join(imageDir, p)), 'eval');
  return { imageDir, paths, embeddings: new Map(paths.map((p) => [p, embeddings.get(join(imageDir, p))!])), undetected, manifest };
}

const verificationOutput = (evaluation: Evaluation): ScriptOutput => ({ report: evaluation.report, summary: summary(evaluation) });


/**
 * The LFW protocol on any pairs: each distinct image embedded once through the API's pipeline
 * (subject face, centre-crop fallback, cached), 10-fold accuracy, and the ROC over all pairs.
 * With --int8 the embeddings are scored as stored at 128 bytes: quantized (int8, per-vector scale)
 * and restored, so the accuracy lost to the compact form shows next to a plain run.
 */
async function evaluate(
  args: ParsedArgs,
  config: AppConfig,
  { dataset, plotName, pairs, pathOf }: { dataset: string; plotName: string; pairs: readonly LfwPair[]; pathOf: (path: string) => string },
): Promise<Evaluation> {
  const outDir = stringFlag(args, 'out', DEFAULT_OUT_DIR);
  const images = [...new Set(pairs.flatMap((p) => [pathOf(p.a), pathOf(p.b)]))];
  const embedded = await embedImages(args, config, images, 'eval');
  const { undetected, manifest, via } = embedded;
  const int8 = args.flags.has('int8');
  const embeddings = int8
    ? new Map([...embedded.embeddings].map(([path, vector]) => [path, dequantizeInt8(quantizeInt8(vector))]))
    : embedded.embeddings;

  const scored = scorePairs(pairs, embeddings, pathOf);
  const tenFold = tenFoldAccuracy(scored);
  const roc = rocCurve(scored);
  const auc = areaUnderCurve(roc);
  const vals = REPORTED_FARS.map((far) => valAtFar(roc, far));
  const model = manifest.id;
  const rocPng = join(outDir, `${plotName}-roc-${model}${int8 ? '-int8' : ''}${via ? `-via-${via}` : ''}.png`);
  await renderRocPng(
    [{ label: `${model}: accuracy ${percent(tenFold.accuracy)}, AUC ${auc.toFixed(4)}`, points: roc }],
    rocPng,
    { title: `${dataset} ROC, ${pairs.length} pairs` },
  );
  return {
    report: {
      accuracy: tenFold.accuracy,
      stdErr: tenFold.stdErr,
      auc,
      valAtFar: Object.fromEntries(vals.map((v) => [String(v.far), v.val])),
      undetected,
      pairs: pairs.length,
      model,
      foldThresholds: tenFold.foldThresholds,
      rocPng,
      embeddings: int8 ? 'int8' : 'float32',
      via,
    },
    dataset,
    images: images.length,
    tenFold,
    vals,
  };
}


function summary({ report, dataset, images, tenFold, vals }: Evaluation): string {
  return [
    `${report.model} on ${dataset}: ${report.pairs} pairs, ${images} images, ${tenFold.foldAccuracies.length} folds` +
      (report.embeddings === 'int8' ? ', embeddings int8-quantized and restored' : '') +
      (report.via ? `, each face re-aligned from a ${report.via} crop` : ''),
    `  accuracy         ${percent(report.accuracy)} ± ${percent(report.stdErr)} (mean ± standard error of the folds)`,
    `  fold accuracies  ${tenFold.foldAccuracies.map((a) => percent(a)).join(' ')}`,
    `  fold thresholds  ${report.foldThresholds.map((t) => t.toFixed(4)).join(' ')} (squared L2; mean ${tenFold.threshold.toFixed(4)})`,
    `  AUC              ${report.auc.toFixed(5)}`,
    ...vals.map(
      (v) => `  VAL@FAR ${String(v.far).padEnd(8)} ${percent(v.val)} (threshold ${v.threshold.toFixed(4)}, FAR reached ${percent(v.actualFar, 3)}; over all pairs)`,
    ),
    `  undetected       ${report.undetected} of ${images} images (fallback: a centre crop of half the shorter side; their pairs are kept)`,
    `  ROC              ${report.rocPng}`,
  ].join('\n');
}

runScript('eval', COMMANDS, process.argv.slice(2)).then((code) => process.exit(code));
