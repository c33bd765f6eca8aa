import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AdapterModel } from './adapter-model.js';
import { Matrix } from './linear-algebra.js';

export type AdapterMethod = 'procrustes' | 'least-squares' | 'triplet';
export const ADAPTER_METHODS: readonly AdapterMethod[] = ['procrustes', 'least-squares', 'triplet'];

/** One fitted model and what it was fitted on. */
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
  model: AdapterModel;
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
 * Adapters as one JSON file each, `<dir>/<id>.json` (parameters as base64 float64 little-endian, so
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
      maps: adapter.maps.map(({ model: { weights, bias, residual }, ...map }) => ({
        ...map,
        weights: matrixJson(weights),
        bias: base64(bias),
        ...(residual ? { residual: { inWeights: matrixJson(residual.inWeights), inBias: base64(residual.inBias), outWeights: matrixJson(residual.outWeights) } } : {}),
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

  /** The most recently created adapter from `from` into `to` (of `method` if given, and that `accept`s), or undefined. */
  async latest(from: string, to: string, method?: AdapterMethod, accept: (adapter: Adapter) => boolean = () => true): Promise<Adapter | undefined> {
    const matching = (await this.list()).filter((a) => a.from === from && a.to === to && (method === undefined || a.method === method) && accept(a));
    return matching.sort((x, y) => x.createdAt.localeCompare(y.createdAt) || x.id.localeCompare(y.id)).at(-1);
  }

  private pathOf(id: string): string {
    return join(this.dir, `${id}.json`);
  }
}

const base64 = (values: Float64Array) => Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
const matrixJson = (m: Matrix) => ({ rows: m.rows, cols: m.cols, data: base64(m.data) });

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
    const doubles = (value: unknown, count: number, what: string): Float64Array => {
      if (typeof value !== 'string') return fail(`map ${i} has no ${what}`);
      const bytes = Buffer.from(value, 'base64');
      if (bytes.length !== count * 8) fail(`map ${i} holds ${bytes.length} bytes of ${what}, ${count} doubles need ${count * 8}`);
      const data = new Float64Array(count);
      for (let k = 0; k < count; k++) data[k] = bytes.readDoubleLE(8 * k);
      if (!data.every(Number.isFinite)) fail(`map ${i} has a ${what} value that is not finite`);
      return data;
    };
    const matrix = (value: unknown, what: string, rows?: number, cols?: number): Matrix => {
      const m = (value ?? {}) as Record<string, unknown>;
      if (!Number.isInteger(m.rows) || !Number.isInteger(m.cols)) return fail(`map ${i} has no ${what}`);
      if ((rows !== undefined && m.rows !== rows) || (cols !== undefined && m.cols !== cols)) fail(`map ${i}: ${what} is ${m.rows}×${m.cols}, expected ${rows ?? m.rows}×${cols ?? m.cols}`);
      return { rows: m.rows as number, cols: m.cols as number, data: doubles(m.data, (m.rows as number) * (m.cols as number), what) };
    };
    const weights = matrix(map.weights, 'weights');
    const model: AdapterModel = { weights, bias: doubles(map.bias, weights.rows, 'bias') };
    if (map.residual !== undefined) {
      const residual = map.residual as Record<string, unknown>;
      const inWeights = matrix(residual.inWeights, 'residual.inWeights', undefined, weights.cols);
      model.residual = {
        inWeights,
        inBias: doubles(residual.inBias, inWeights.rows, 'residual.inBias'),
        outWeights: matrix(residual.outWeights, 'residual.outWeights', weights.rows, inWeights.rows),
      };
    }
    return {
      heldOutFold: (map.heldOutFold as number | null) ?? null,
      trainingFaces: map.trainingFaces as number,
      trainingIdentities: map.trainingIdentities as number,
      metrics: (map.metrics as Record<string, number>) ?? {},
      model,
    };
  });
  const { format: _format, ...adapter } = file;
  return { ...(adapter as unknown as Adapter), maps };
}
