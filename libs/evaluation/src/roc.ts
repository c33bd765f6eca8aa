import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';
import type { ScoredPair } from './ten-fold.js';

/** One operating point: every pair with `distance <= threshold` is accepted as "same". */
export interface RocPoint {
  threshold: number;
  /** False-accept rate: accepted different-people pairs / all different-people pairs. */
  far: number;
  /** True-accept rate (FaceNet's VAL): accepted same-person pairs / all same-person pairs. */
  tar: number;
}

/**
 * Every operating point of the scored pairs, from accepting nothing (threshold −∞, (0, 0)) to
 * accepting everything ((1, 1)), one point per distinct distance; FAR and TAR never decrease.
 */
export function rocCurve(scores: readonly ScoredPair[]): RocPoint[] {
  const positives = scores.filter((s) => s.same).length;
  const negatives = scores.length - positives;
  if (positives === 0 || negatives === 0) {
    throw new Error(`A ROC needs same and different pairs, got ${positives} same and ${negatives} different`);
  }
  const sorted = [...scores].sort((x, y) => x.distance - y.distance);
  for (const s of sorted) if (!Number.isFinite(s.distance)) throw new Error(`Distance ${s.distance} is not finite`);
  const points: RocPoint[] = [{ threshold: -Infinity, far: 0, tar: 0 }];
  let trueAccepts = 0;
  let falseAccepts = 0;
  for (let i = 0; i < sorted.length; ) {
    const threshold = sorted[i].distance;
    for (; i < sorted.length && sorted[i].distance === threshold; i++) {
      if (sorted[i].same) trueAccepts++;
      else falseAccepts++;
    }
    points.push({ threshold, far: falseAccepts / negatives, tar: trueAccepts / positives });
  }
  return points;
}

/** Area under a curve from `rocCurve` (trapezoids, so tied distances count half, as in the Mann–Whitney U). */
export function areaUnderCurve(points: readonly RocPoint[]): number {
  let area = 0;
  for (let i = 1; i < points.length; i++) area += ((points[i].far - points[i - 1].far) * (points[i].tar + points[i - 1].tar)) / 2;
  return area;
}

export interface ValAtFar {
  /** Target false-accept rate. */
  far: number;
  /** TAR at the largest threshold whose FAR does not exceed the target. */
  val: number;
  threshold: number;
  /** FAR actually reached there (≤ far). */
  actualFar: number;
}

/**
 * FaceNet's VAL@FAR (Schroff et al. 2015, §4): the threshold is the largest whose false-accept
 * rate is at most `far`, and VAL is the true-accept rate there. No interpolation between points:
 * with 3,000 different-people pairs, FAR 1e-3 allows exactly 3 false accepts.
 */
export function valAtFar(points: readonly RocPoint[], far: number): ValAtFar {
  let best = points[0];
  // Relative slack: k/n computed in floating point must still match a target of exactly k/n.
  for (const p of points) if (p.far <= far * (1 + 1e-9)) best = p;
  return { far, val: best.tar, threshold: best.threshold, actualFar: best.far };
}

export interface RocCurveToDraw {
  label: string;
  points: readonly RocPoint[];
}

export interface RocPlotOptions {
  title?: string;
  width?: number;
  height?: number;
  /** Bottom of the TAR axis; by default a tenth below the lowest TAR at FAR 1e-4, so good models are not squashed against the top. */
  tarMin?: number;
}

const FAR_MIN_EXPONENT = -4;
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** Draws the curves as an SVG (TAR against FAR on a log axis from 1e-4 to 1) and rasterises it to a PNG at `path`. */
export async function renderRocPng(curves: readonly RocCurveToDraw[], path: string, options: RocPlotOptions = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await sharp(Buffer.from(rocSvg(curves, options))).png().toFile(path);
}

function rocSvg(curves: readonly RocCurveToDraw[], { title = 'ROC', width = 800, height = 600, tarMin }: RocPlotOptions): string {
  const left = 80, right = 24, top = 48, bottom = 64;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const lowestTar = Math.min(...curves.map((c) => valAtFar(c.points, 10 ** FAR_MIN_EXPONENT).val));
  const yMin = tarMin ?? Math.max(0, Math.floor((lowestTar - 0.02) * 10) / 10);
  // FAR 0 (and anything below 1e-4) sits on the left edge.
  const x = (far: number) => left + ((Math.log10(Math.max(far, 10 ** FAR_MIN_EXPONENT)) - FAR_MIN_EXPONENT) / -FAR_MIN_EXPONENT) * plotWidth;
  const y = (tar: number) => top + (1 - (tar - yMin) / (1 - yMin)) * plotHeight;
  const parts: string[] = [];
  const text = (tx: number, ty: number, content: string, attributes = '') =>
    parts.push(`<text x="${tx.toFixed(1)}" y="${ty.toFixed(1)}" ${attributes}>${escapeXml(content)}</text>`);

  // Grid and ticks: decades with minor lines at 2..9 ×; TAR in round steps.
  for (let e = FAR_MIN_EXPONENT; e <= 0; e++) {
    const gx = x(10 ** e);
    parts.push(`<line x1="${gx}" y1="${top}" x2="${gx}" y2="${top + plotHeight}" stroke="#bbb"/>`);
    text(gx, top + plotHeight + 20, e === 0 ? '1' : e >= -2 ? String(10 ** e) : `1e${e}`, 'text-anchor="middle"');
    for (let m = 2; m <= 9 && e < 0; m++) {
      const mx = x(m * 10 ** e);
      parts.push(`<line x1="${mx.toFixed(1)}" y1="${top}" x2="${mx.toFixed(1)}" y2="${top + plotHeight}" stroke="#eee"/>`);
    }
  }
  const range = 1 - yMin;
  const step = range <= 0.1 ? 0.01 : range <= 0.2 ? 0.02 : range <= 0.5 ? 0.05 : 0.1;
  for (let k = 0; k <= Math.round(range / step); k++) {
    const tar = 1 - k * step;
    const gy = y(tar);
    parts.push(`<line x1="${left}" y1="${gy.toFixed(1)}" x2="${left + plotWidth}" y2="${gy.toFixed(1)}" stroke="${k === 0 ? '#bbb' : '#e4e4e4'}"/>`);
    text(left - 8, gy + 4, tar.toFixed(step < 0.1 ? 2 : 1), 'text-anchor="end"');
  }
  parts.push(`<rect x="${left}" y="${top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`);

  // Curves, clipped to the plot; points closer than half a pixel to the last drawn one are skipped.
  curves.forEach((curve, c) => {
    const coordinates: string[] = [];
    let last: [number, number] | undefined;
    curve.points.forEach((p, i) => {
      const point: [number, number] = [x(p.far), y(p.tar)];
      const isLast = i === curve.points.length - 1;
      if (last && !isLast && Math.abs(point[0] - last[0]) < 0.5 && Math.abs(point[1] - last[1]) < 0.5) return;
      coordinates.push(`${point[0].toFixed(2)},${point[1].toFixed(2)}`);
      last = point;
    });
    parts.push(
      `<polyline points="${coordinates.join(' ')}" fill="none" stroke="${COLOURS[c % COLOURS.length]}" stroke-width="2" ` +
        'stroke-linejoin="round" clip-path="url(#plot)"/>',
    );
  });

  // Legend, bottom right, where ROC curves do not go.
  const rowHeight = 20;
  const legendWidth = Math.min(plotWidth - 20, 44 + 7.4 * Math.max(...curves.map((c) => c.label.length)));
  const legendHeight = 10 + rowHeight * curves.length;
  const legendX = left + plotWidth - legendWidth - 10;
  const legendY = top + plotHeight - legendHeight - 10;
  parts.push(`<rect x="${legendX}" y="${legendY}" width="${legendWidth}" height="${legendHeight}" fill="white" fill-opacity="0.9" stroke="#999"/>`);
  curves.forEach((curve, c) => {
    const ry = legendY + 5 + rowHeight * c + rowHeight / 2;
    parts.push(`<line x1="${legendX + 10}" y1="${ry}" x2="${legendX + 34}" y2="${ry}" stroke="${COLOURS[c % COLOURS.length]}" stroke-width="3"/>`);
    text(legendX + 40, ry + 4, curve.label);
  });

  text(left + plotWidth / 2, 30, title, 'text-anchor="middle" font-size="17" font-weight="bold"');
  text(left + plotWidth / 2, height - 18, 'False accept rate (FAR, log scale)', 'text-anchor="middle" font-size="14"');
  const yLabelX = 24, yLabelY = top + plotHeight / 2;
  text(yLabelX, yLabelY, 'True accept rate (TAR)', `text-anchor="middle" font-size="14" transform="rotate(-90 ${yLabelX} ${yLabelY})"`);

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12" fill="#222">`,
    `<defs><clipPath id="plot"><rect x="${left}" y="${top}" width="${plotWidth}" height="${plotHeight}"/></clipPath></defs>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...parts,
    '</svg>',
  ].join('\n');
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&${({ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' })[c]};`);
