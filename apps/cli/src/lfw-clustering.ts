import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp, { OverlayOptions } from 'sharp';
import { seededRandom } from '../../../libs/common/src/index.js';
import { AppConfig } from '../../../libs/config/src/index.js';
import { clusteringMetrics, PrecisionRecall } from '../../../libs/evaluation/src/clustering-metrics.js';
import { EmbedderManifest } from '../../../libs/inference/src/index.js';
import { resolveThreshold } from '../../../libs/recognition/src/index.js';
import { clusterVectors } from '../../../libs/vector-index/src/index.js';
import { percent } from './script-runner.js';

export interface LfwClusteringReport {
  model: string;
  faces: number;
  identities: number;
  clusters: number;
  pairwise: PrecisionRecall;
  bcubed: PrecisionRecall;
  threshold: number;
  far: number | null;
  /** Clustering time (index build, kNN graph, merges), embeddings excluded. */
  seconds: number;
  contactSheet: string;
}

export interface LfwClustering {
  report: Omit<LfwClusteringReport, 'contactSheet'>;
  /** The clustered image paths (relative), and each one's cluster. */
  paths: string[];
  labels: number[];
}

/** Images of the LFW identities that have two or more: singletons would only inflate the scores. */
export function multiImageIdentities(paths: readonly string[]): string[] {
  const count = new Map<string, number>();
  for (const path of paths) count.set(identityOf(path), (count.get(identityOf(path)) ?? 0) + 1);
  return paths.filter((path) => count.get(identityOf(path))! >= 2);
}

const identityOf = (path: string) => path.split('/')[0];

/** Clusters the images' embeddings as the platform does (average linkage, configured HNSW) at the model's threshold for `far`. */
export function lfwClustering(
  paths: string[],
  embeddings: ReadonlyMap<string, Float32Array>,
  manifest: EmbedderManifest,
  config: AppConfig,
  far: number,
): LfwClustering {
  const { squaredDistance: threshold, far: calibratedFar } = resolveThreshold(manifest.threshold, { far }, config.defaultFar);
  const started = performance.now();
  const { labels } = clusterVectors(paths.map((p) => embeddings.get(p)!), { threshold, m: config.index.m, efConstruction: config.index.efConstruction, efSearch: config.index.efSearch });
  const seconds = (performance.now() - started) / 1000;
  const metrics = clusteringMetrics(labels, paths.map(identityOf));
  return {
    report: {
      model: manifest.id,
      faces: paths.length,
      identities: metrics.identities,
      clusters: metrics.clusters,
      pairwise: metrics.pairwise,
      bcubed: metrics.bcubed,
      threshold,
      far: calibratedFar,
      seconds: Math.round(seconds * 100) / 100,
    },
    paths,
    labels,
  };
}

const THUMB = 64;
const GAP = 4;
const LABEL_WIDTH = 260;
const ROWS = 12;
const PER_ROW = 10;

/**
 * A contact sheet: `ROWS` clusters of three or more faces, drawn with a seeded RNG, one row each —
 * up to `PER_ROW` thumbnails (the centre of the 250×250 LFW image, where the face is), a red frame
 * on faces not of the cluster's majority identity, and the cluster's identities as the label.
 */
export async function renderClusterContactSheet(clustering: LfwClustering, pathOf: (relative: string) => string, out: string, seed = 1): Promise<void> {
  const members = new Map<number, string[]>();
  clustering.labels.forEach((label, i) => members.set(label, [...(members.get(label) ?? []), clustering.paths[i]]));
  const candidates = [...members.values()].filter((m) => m.length >= 3);
  const random = seededRandom(seed);
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
  }
  const rows = candidates.slice(0, ROWS);
  const cell = THUMB + GAP;
  const layers: OverlayOptions[] = [];
  const labels: string[] = [];
  for (const [row, paths] of rows.entries()) {
    const top = GAP + row * cell;
    const counts = new Map<string, number>();
    for (const p of paths) counts.set(identityOf(p), (counts.get(identityOf(p)) ?? 0) + 1);
    const ranked = [...counts].sort((a, b) => b[1] - a[1]);
    labels.push(`<text x="${GAP}" y="${top + 20}" font-size="13">${paths.length} faces</text>`);
    ranked.slice(0, 3).forEach(([name, n], k) => {
      labels.push(`<text x="${GAP}" y="${top + 36 + 14 * k}" font-size="11">${escapeXml(name.replace(/_/g, ' '))} (${n})</text>`);
    });
    for (const [k, path] of paths.slice(0, PER_ROW).entries()) {
      const left = LABEL_WIDTH + k * cell;
      if (identityOf(path) !== ranked[0][0]) {
        layers.push({ input: { create: { width: cell, height: cell, channels: 3, background: '#d00' } }, left: left - GAP / 2, top: top - GAP / 2 });
      }
      const image = sharp(pathOf(path));
      const { width = 250, height = 250 } = await image.metadata();
      const side = Math.round(Math.min(width, height) * 0.5);
      const thumb = await image
        .extract({ left: Math.round((width - side) / 2), top: Math.round((height - side) / 2), width: side, height: side })
        .resize(THUMB, THUMB)
        .toBuffer();
      layers.push({ input: thumb, left, top });
    }
  }
  const width = LABEL_WIDTH + PER_ROW * cell + GAP;
  const height = GAP + Math.max(1, rows.length) * cell;
  const text = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">${labels.join('')}</svg>`;
  await mkdir(dirname(out), { recursive: true });
  await sharp({ create: { width, height, channels: 3, background: '#fff' } })
    .composite([{ input: Buffer.from(text), left: 0, top: 0 }, ...layers])
    .png()
    .toFile(out);
}

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);


export function lfwClusteringSummary(r: LfwClusteringReport): string {
  const line = (name: string, m: PrecisionRecall) => `  ${name.padEnd(9)} precision ${percent(m.precision)}, recall ${percent(m.recall)}, F1 ${percent(m.f1)}`;
  return [
    `${r.model} on LFW: ${r.faces} images of the ${r.identities} identities with two or more → ${r.clusters} clusters ` +
      `(average linkage at ${r.threshold.toFixed(4)}, FAR ${r.far}) in ${r.seconds.toFixed(2)} s`,
    line('pairwise', r.pairwise),
    line('BCubed', r.bcubed),
    `  contact sheet ${r.contactSheet}`,
  ].join('\n');
}
