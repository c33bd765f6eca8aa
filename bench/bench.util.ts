// Small helpers for the benchmarks: flag parsing, a seeded RNG, deterministic image selection.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../libs/common/src/index.js';

/** Messages for a human go to stderr; stdout carries only the benchmark's JSON result. */
export const info = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

/**
 * Parses `--name N` / `--name=N` flags into positive integers over `defaults`; unknown flags,
 * missing values and non-integers fail with a message that lists the accepted flags.
 */
export function parseIntegerFlags<T extends Record<string, number>>(argv: string[], defaults: T): T {
  const values: Record<string, number> = { ...defaults };
  const usage = `accepted flags: ${Object.keys(defaults).map((name) => `--${name} N`).join(', ')}`;
  for (let i = 0; i < argv.length; i++) {
    const match = /^--([a-zA-Z][\w-]*)(?:=(.*))?$/.exec(argv[i]);
    if (!match) throw new Error(`Unexpected argument "${argv[i]}"; ${usage}`);
    const [, name, inline] = match;
    if (!(name in defaults)) throw new Error(`Unknown flag --${name}; ${usage}`);
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new Error(`--${name} needs a value`);
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer, got "${raw}"`);
    values[name] = value;
  }
  return values as T;
}

/** Fisher–Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const isJpeg = (name: string) => /\.jpe?g$/i.test(name);

/** Sorted JPEG names of a folder, so the selection does not depend on the filesystem's order. */
async function sortedJpegs(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter(isJpeg).sort();
}

export interface BenchImage {
  path: string;
  source: 'london' | 'lfw';
}

/**
 * A fixed, seeded set of `count` real photos: half (rounded up) from the London set's
 * neutral_front + smiling_front (600×600), half from LFW deep-funneled (250×250, one image each of
 * distinct people) when that folder exists, all from London otherwise; then shuffled into one order.
 */
export async function selectBenchImages(datasetDir: string, count: number, seed: number): Promise<BenchImage[]> {
  const random = seededRandom(seed);
  const londonDirs = ['neutral_front', 'smiling_front'].map((set) => join(datasetDir, 'london', set));
  for (const dir of londonDirs) {
    if (!existsSync(dir)) {
      throw new Error(
        `The benchmark needs the London face set at ${dir} (../shared/datasets/london beside the repository, ` +
          'or set DATASET_DIR to the folder that holds london/).',
      );
    }
  }
  const londonPool: string[] = [];
  for (const dir of londonDirs) for (const name of await sortedJpegs(dir)) londonPool.push(join(dir, name));

  const lfwDir = join(datasetDir, 'lfw', 'lfw-deepfunneled');
  const hasLfw = existsSync(lfwDir);
  const londonCount = Math.min(londonPool.length, hasLfw ? Math.ceil(count / 2) : count);
  const lfwCount = count - londonCount;
  if (lfwCount > 0 && !hasLfw) {
    throw new Error(`--images ${count} asks for more than the ${londonPool.length} London photos, and ${lfwDir} is absent`);
  }
  const images: BenchImage[] = shuffled(londonPool, random)
    .slice(0, londonCount)
    .map((path) => ({ path, source: 'london' }));
  if (lfwCount > 0) {
    const people = shuffled((await readdir(lfwDir)).sort(), random);
    for (const person of people) {
      if (images.length === count) break;
      const files = await sortedJpegs(join(lfwDir, person)).catch(() => [] as string[]);
      if (files.length === 0) continue;
      images.push({ path: join(lfwDir, person, files[Math.floor(random() * files.length)]), source: 'lfw' });
    }
    if (images.length < count) throw new Error(`Only ${images.length} images available under ${datasetDir}, ${count} requested`);
  }
  return shuffled(images, random);
}

export const mean = (values: number[]): number => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);

/** Rounds for printing: keeps the JSON readable without hiding sub-millisecond stages. */
export const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

/** Splits boolean `--name` switches (no value) out of argv; the rest goes to parseIntegerFlags. */
export function takeSwitches(argv: string[], names: readonly string[]): { switches: Set<string>; rest: string[] } {
  const isSwitch = (arg: string) => names.some((name) => arg === `--${name}`);
  return { switches: new Set(argv.filter(isSwitch).map((arg) => arg.slice(2))), rest: argv.filter((arg) => !isSwitch(arg)) };
}

/** Nearest-rank q-quantile (0 < q ≤ 1) of values sorted ascending. */
export const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

/** The machine a result was measured on: cores, load averages (1, 5, 15 min) and Node version. */
export const machine = () => ({ cpus: os.cpus().length, loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))), node: process.version });

/**
 * A fresh working directory for a benchmark under BENCH_DIR (default the OS temp dir). Not mkdtemp:
 * its 0700 directory would shut out the postgres user created when running as root.
 */
export async function benchWorkDir(name: string): Promise<string> {
  const dir = join(process.env.BENCH_DIR ?? os.tmpdir(), `facerec-${name}-${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  return dir;
}
