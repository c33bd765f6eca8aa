import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** One entry of a tfjs weights manifest (`*-weights_manifest.json`). */
interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

interface TfjsWeightGroup {
  paths: string[];
  weights: TfjsWeightSpec[];
}

export interface DecodedTensor {
  shape: number[];
  values: Float32Array;
}

export interface TfjsWeights {
  /** By tfjs name (`conv32_1/conv1/conv/filters`), in manifest order. */
  tensors: Map<string, DecodedTensor>;
  /** sha256 of the weight files' bytes, in manifest order: what the weights are, independent of the package version. */
  sha256: string;
}

/** A weights manifest or file that is missing, unreadable or inconsistent. */
export class TfjsWeightsError extends Error {}

const BYTES_PER_VALUE: Record<string, number> = { float32: 4, uint8: 1, uint16: 2 };

/**
 * Reads a tfjs weights manifest and the binary files it names (relative to the manifest) and
 * dequantises every tensor to float32 exactly as tfjs-core's `io.decodeWeights` does:
 * `value = q · scale + min`, computed in double precision and then stored as float32. Only what
 * the layers here need is accepted: float32 weights, plain or quantised to uint8/uint16.
 */
export async function readTfjsWeights(manifestPath: string): Promise<TfjsWeights> {
  let groups: TfjsWeightGroup[];
  try {
    groups = JSON.parse(await readFile(manifestPath, 'utf8')) as TfjsWeightGroup[];
  } catch (error) {
    throw new TfjsWeightsError(`Cannot read the tfjs weights manifest ${manifestPath}: ${(error as Error).message}`);
  }
  if (!Array.isArray(groups) || !groups.every((g) => Array.isArray(g?.paths) && Array.isArray(g?.weights))) {
    throw new TfjsWeightsError(`${manifestPath} is not a tfjs weights manifest (an array of { paths, weights } groups)`);
  }
  const tensors = new Map<string, DecodedTensor>();
  const hash = createHash('sha256');
  for (const group of groups) {
    const files: Buffer[] = [];
    for (const file of group.paths) {
      const path = join(dirname(manifestPath), file);
      try {
        files.push(await readFile(path));
      } catch (error) {
        throw new TfjsWeightsError(`Cannot read weight file ${path} named by ${manifestPath}: ${(error as Error).message}`);
      }
    }
    // tfjs lays a group's tensors out back to back across the concatenation of its files.
    const bytes = Buffer.concat(files);
    hash.update(bytes);
    let offset = 0;
    for (const spec of group.weights) {
      const values = decodeTensor(spec, bytes, offset, manifestPath);
      offset += values.length * BYTES_PER_VALUE[spec.quantization?.dtype ?? spec.dtype];
      if (tensors.has(spec.name)) throw new TfjsWeightsError(`${manifestPath} lists ${spec.name} twice`);
      tensors.set(spec.name, { shape: spec.shape, values });
    }
    if (offset !== bytes.length) {
      throw new TfjsWeightsError(
        `${group.paths.join(' + ')} next to ${manifestPath} hold ${bytes.length} bytes, but the manifest describes ${offset}: a truncated or foreign file`,
      );
    }
  }
  return { tensors, sha256: hash.digest('hex') };
}

function decodeTensor(spec: TfjsWeightSpec, bytes: Buffer, offset: number, manifestPath: string): Float32Array {
  const where = `${manifestPath}: ${spec.name}`;
  if (spec.dtype !== 'float32') throw new TfjsWeightsError(`${where} has dtype ${spec.dtype}; only float32 weights are supported`);
  if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new TfjsWeightsError(`${where} has an invalid shape ${JSON.stringify(spec.shape)}`);
  }
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization;
  const stored = q?.dtype ?? 'float32';
  const width = BYTES_PER_VALUE[stored];
  if (width === undefined || (q && stored === 'float32')) {
    throw new TfjsWeightsError(`${where} is quantised as ${stored}; only uint8 and uint16 quantisation are supported`);
  }
  if (q && !(Number.isFinite(q.scale) && Number.isFinite(q.min))) {
    throw new TfjsWeightsError(`${where} is quantised without a numeric scale and min`);
  }
  if (offset + count * width > bytes.length) {
    throw new TfjsWeightsError(`${where} needs bytes ${offset}..${offset + count * width}, but the weight files end at ${bytes.length}: truncated`);
  }
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const at = offset + i * width;
    if (!q) values[i] = bytes.readFloatLE(at);
    else values[i] = (width === 1 ? bytes[at] : bytes.readUInt16LE(at)) * q.scale! + q.min!;
  }
  return values;
}
