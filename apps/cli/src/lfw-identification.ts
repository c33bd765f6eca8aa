import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { squaredDistanceFromCosine } from '../../../libs/common/src/index.js';
import { AppConfig } from '../../../libs/config/src/index.js';
import {
  openSetMetrics, OpenSetResult, splitForIdentification, TopMatch,
} from '../../../libs/evaluation/src/open-set-identification.js';
import { EmbedderManifest } from '../../../libs/inference/src/index.js';
import { BruteForceIndex, PartitionedHnswIndex, SearchHit } from '../../../libs/vector-index/src/index.js';
import { percent } from './script-runner.js';

/** FPIRs at which DIR is reported (the 1e-2 and 1e-3). */
const REPORTED_FPIRS = [1e-2, 1e-3];
const PARTITION = 'lfw';

/** Every LFW image path (`Name/Name_NNNN.jpg`), in name order, so the split is deterministic. */
export async function listLfwImages(imageDir: string): Promise<string[]> {
  const people = (await readdir(imageDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const images: string[] = [];
  for (const person of people) {
    for (const file of (await readdir(join(imageDir, person))).filter((f) => f.endsWith('.jpg')).sort()) images.push(join(person, file));
  }
  return images;
}

interface EngineResult extends OpenSetResult {
  queriesPerSecond: number;
}

export interface LfwIdentificationReport {
  model: string;
  images: number;
  undetected: number;
  galleryIdentities: number;
  /** The platform's index (HNSW graph forced, the configured M/ef, per-identity candidates). */
  hnsw: EngineResult;
  /** Exact search over the same gallery. */
  bruteForce: EngineResult;
  /** Share of probes whose top-1 identity is the same in both engines. */
  top1Agreement: number;
  /** The model's calibrated thresholds applied as is: DIR and FPIR per calibrated FAR (HNSW results). */
  calibrated: Record<string, { threshold: number; dir: number; fpir: number }>;
}

/**
 * LFW open-set identification: the first image of every identity with two or more is enrolled,
 * the others are mated probes, single-image identities are non-mated probes. Each probe's rank-1
 * identity comes from the platform's index engine and from brute force.
 */
export function lfwIdentification(
  paths: readonly string[],
  embeddings: ReadonlyMap<string, Float32Array>,
  manifest: EmbedderManifest,
  config: AppConfig,
  undetected: number,
): LfwIdentificationReport {
  const faces = paths.map((path) => ({ identity: path.split('/')[0], embedding: embeddings.get(path)! }));
  const { gallery, mated, nonMated } = splitForIdentification(faces);
  const hnsw = new PartitionedHnswIndex({
    dimension: manifest.output.dimension,
    m: config.index.m,
    efConstruction: config.index.efConstruction,
    efSearch: config.index.efSearch,
    exactSearchMaxSize: 0, // measure the graph; the platform would scan a gallery this small exactly
  });
  const exact = new BruteForceIndex(manifest.output.dimension);
  gallery.forEach((face, label) => {
    hnsw.add(label, face.embedding, PARTITION);
    exact.add(label, face.embedding);
  });
  const identityOf = (label: number) => gallery[label].identity;
  const calibratedThresholds = Object.entries(manifest.threshold.falseAcceptRates ?? {}).map(([far, t]) => ({ far, threshold: t.squaredDistance }));

  const run = (search: (embedding: Float32Array) => SearchHit) => {
    const started = performance.now();
    const top = (embedding: Float32Array): TopMatch => {
      const hit = search(embedding);
      return { identity: identityOf(hit.label), distance: squaredDistanceFromCosine(hit.similarity) };
    };
    const matedTops = mated.map((face) => ({ truth: face.identity, top: top(face.embedding) }));
    const nonMatedTops = nonMated.map((face) => top(face.embedding));
    const queriesPerSecond = (mated.length + nonMated.length) / ((performance.now() - started) / 1000);
    const metrics = openSetMetrics(matedTops, nonMatedTops, REPORTED_FPIRS, calibratedThresholds.map((c) => c.threshold));
    return { result: { ...metrics, queriesPerSecond }, tops: [...matedTops.map((m) => m.top), ...nonMatedTops] };
  };
  const graph = run((embedding) => hnsw.searchGroups(embedding, 1, PARTITION, (label) => identityOf(label))[0]);
  const brute = run((embedding) => exact.search(embedding, 1)[0]);
  const agreeing = graph.tops.filter((t, i) => t.identity === brute.tops[i].identity).length;
  return {
    model: manifest.id,
    images: paths.length,
    undetected,
    galleryIdentities: gallery.length,
    hnsw: graph.result,
    bruteForce: brute.result,
    top1Agreement: agreeing / graph.tops.length,
    calibrated: Object.fromEntries(calibratedThresholds.map((c, i) => [c.far, graph.result.atThresholds[i]])),
  };
}


export function lfwIdentificationSummary(r: LfwIdentificationReport): string {
  const engine = (name: string, e: EngineResult) =>
    `  ${name.padEnd(11)} rank-1 ${percent(e.rank1)}; ` +
    Object.entries(e.dirAtFpir).map(([fpir, d]) => `DIR@FPIR ${fpir} ${percent(d.dir)} (threshold ${d.threshold.toFixed(4)})`).join('; ') +
    `; ${Math.round(e.queriesPerSecond)} queries/s`;
  return [
    `${r.model} on LFW: ${r.images} images (${r.undetected} centre crops), gallery ${r.galleryIdentities} identities, ` +
      `${r.hnsw.matedProbes} mated and ${r.hnsw.nonMatedProbes} non-mated probes`,
    engine('HNSW', r.hnsw),
    engine('brute force', r.bruteForce),
    `  top-1 agreement HNSW vs brute force ${percent(r.top1Agreement)}`,
    ...Object.entries(r.calibrated).map(([far, c]) => `  calibrated FAR ${far} (threshold ${c.threshold}): DIR ${percent(c.dir)}, FPIR ${percent(c.fpir)}`),
  ].join('\n');
}
