import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AffineMap } from './affine-map.js';

export type AdapterMethod = 'procrustes' | 'least-squares' | 'triplet';
export const ADAPTER_METHODS: readonly AdapterMethod[] = ['procrustes', 'least-squares', 'triplet'];

/** One fitted map x ↦ W·x + b and what it was fitted on. */
export interface AdapterMap {
  /**
   * The LFW fold whose identities it never saw, for cross-validated evaluation (its map scores that
   * fold); null for a map fitted on everything, the one to use in production.
   */
  heldOutFold: number | null;
  trainingFaces: number;
  trainingIdentities: number;
  /** Training figures (final loss, seconds, …). */
  metrics: Record<string, number>;
  map: AffineMap;
}

/** A cross-model adapter: maps embeddings of model `from` (the new one) into the space of model `to` (the old one). */
export interface Adapter {
  id: string;
  from: string;
  to: string;
  method: AdapterMethod;
  seed: number;
  createdAt: string;
  /** Which faces trained it, in words (e.g. the LFW folds and identities). */
  split: string;
  hyperparameters: Record<string, number>;
  maps: AdapterMap[];
}

/** A missing, unreadable or malformed adapter: the user's input, reported in one line. */
export class AdapterError extends Error {}

const ID_PATTERN = /^[A-Za-z0-9._-]+$/;
const FORMAT = 'facerec-adapter/1';

/**
 * Adapters as one JSON file each, `<dir>/<id>.json` (W and b as base64 float64 little-endian, so
 * they reload bit for bit). Kept behind this class so that they can move into Postgres next to the
 * model registry without touching the trainer or the evaluation.
 */
export class AdapterStore {
  constructor(readonly dir: string) {}

  /** A fresh id: method, the two models and the creation time. */
  static newId(method: AdapterMethod, from: string, to: string, createdAt: Date): string {
    return `${from}-to-${to}.${method}.${createdAt.toISOString().replace(/[-:]/g, '').replace('.', '')}`;
  }

  async save(adapter: Adapter): Promise<string> {
    checkId(adapter.id);
    await mkdir(this.dir, { recursive: true });
    const path = this.pathOf(adapter.id);
    const file = {
      format: FORMAT,
      ...adapter,
      maps: adapter.maps.map(({ map: { weights, bias }, ...map }) => ({
        ...map, rows: weights.rows, cols: weights.cols, weights: base64(weights.data), bias: base64(bias),
      })),
    };
    // Written aside and renamed: a reader never sees half a file.
    await writeFile(`${path}.tmp`, `${JSON.stringify(file, null, 1)}\n`);
    await rename(`${path}.tmp`, path);
    return path;
  }

  async load(id: string): Promise<Adapter> {
    checkId(id);
    const path = this.pathOf(id);
    if (!existsSync(path)) throw new AdapterError(`No adapter ${id} in ${this.dir}`);
    return parseAdapter(await readFile(path, 'utf8'), path);
  }

  async list(): Promise<Adapter[]> {
    if (!existsSync(this.dir)) return [];
    const files = (await readdir(this.dir)).filter((f) => f.endsWith('.json')).sort();
    return Promise.all(files.map(async (f) => parseAdapter(await readFile(join(this.dir, f), 'utf8'), join(this.dir, f))));
  }

  /** The most recently created adapter from `from` into `to` (of `method` if given), or undefined. */
  async latest(from: string, to: string, method?: AdapterMethod): Promise<Adapter | undefined> {
    const matching = (await this.list()).filter((a) => a.from === from && a.to === to && (method === undefined || a.method === method));
    return matching.sort((x, y) => x.createdAt.localeCompare(y.createdAt) || x.id.localeCompare(y.id)).at(-1);
  }

  private pathOf(id: string): string {
    return join(this.dir, `${id}.json`);
  }
}

const base64 = (values: Float64Array) => Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');

function checkId(id: string): void {
  if (!ID_PATTERN.test(id)) throw new AdapterError(`Adapter ids are made of letters, digits, '.', '_' and '-'; got ${JSON.stringify(id)}`);
}

function parseAdapter(text: string, path: string): Adapter {
  const fail = (why: string): never => {
    throw new AdapterError(`${path} is not a valid adapter file: ${why}`);
  };
  let file: Record<string, unknown>;
  try {
    file = JSON.parse(text);
  } catch (error) {
    return fail((error as Error).message);
  }
  if (file.format !== FORMAT) fail(`format is ${JSON.stringify(file.format)}, expected ${FORMAT}`);
  for (const key of ['id', 'from', 'to', 'createdAt', 'split'] as const) if (typeof file[key] !== 'string') fail(`${key} is missing`);
  if (!ADAPTER_METHODS.includes(file.method as AdapterMethod)) fail(`unknown method ${JSON.stringify(file.method)}`);
  if (!Array.isArray(file.maps) || file.maps.length === 0) fail('it has no maps');
  const maps = (file.maps as Record<string, unknown>[]).map((map, i): AdapterMap => {
    const { rows, cols } = map;
    if (!Number.isInteger(rows) || !Number.isInteger(cols)) return fail(`map ${i} has no rows and cols`);
    const doubles = (field: string, count: number): Float64Array => {
      const value = map[field];
      if (typeof value !== 'string') return fail(`map ${i} has no ${field}`);
      const bytes = Buffer.from(value, 'base64');
      if (bytes.length !== count * 8) fail(`map ${i} holds ${bytes.length} bytes of ${field}, ${count} doubles need ${count * 8}`);
      const data = new Float64Array(count);
      for (let k = 0; k < count; k++) data[k] = bytes.readDoubleLE(8 * k);
      if (!data.every(Number.isFinite)) fail(`map ${i} has a ${field} value that is not finite`);
      return data;
    };
    const weights = { rows: rows as number, cols: cols as number, data: doubles('weights', (rows as number) * (cols as number)) };
    return {
      heldOutFold: (map.heldOutFold as number | null) ?? null,
      trainingFaces: map.trainingFaces as number,
      trainingIdentities: map.trainingIdentities as number,
      metrics: (map.metrics as Record<string, number>) ?? {},
      map: { weights, bias: doubles('bias', rows as number) },
    };
  });
  const { format: _format, ...adapter } = file;
  return { ...(adapter as unknown as Adapter), maps };
}
