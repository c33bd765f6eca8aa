import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** How raw pixels become the network's input tensor: `((pixel · scale) − mean) / std`, per channel. */
export interface TensorInputSpec {
  name: string;
  colorOrder: 'RGB' | 'BGR';
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
}

interface ManifestBase {
  id: string;
  version: string;
  file: string;
  sha256: string;
  sourceUrl: string;
  license: string;
  /**
   * Set for models this project builds itself rather than downloads: the file is looked for in the
   * generated-model directory, and `command` is what makes it.
   */
  build?: { command: string; from: string };
}

export interface DetectorManifest extends ManifestBase {
  kind: 'detector';
  architecture: 'yunet';
  input: TensorInputSpec & { sizeMultiple: number };
  strides: number[];
  landmarks: string[];
}

export interface EmbedderManifest extends ManifestBase {
  kind: 'embedder';
  input: TensorInputSpec & { width: number; height: number };
  output: { name: string; dimension: number; normalized: boolean };
  /** 5-point template (eyes, nose, mouth corners as seen in the image) in output-crop pixels. */
  alignment: { width: number; height: number; template: [number, number][] };
  /** `sum`: embed the crop and its mirror and add them before normalising (MobileFaceNet's protocol). */
  flipAugmentation: 'none' | 'sum';
  /** Default decision threshold on squared L2 distance between unit embeddings, and where it came from. */
  threshold: {
    squaredDistance: number;
    source: string;
    /** False-accept rate the default was chosen for. */
    far?: number;
    /** Measured thresholds (and true-accept rates) per false-accept rate. */
    falseAcceptRates?: Record<string, { squaredDistance: number; tar: number }>;
    /** Threshold that maximises balanced verification accuracy (LFW 10-fold). */
    accuracyOptimal?: number;
  };
}

export type ModelManifest = DetectorManifest | EmbedderManifest;

export class ModelFileError extends Error {}

/** Reads `<dir>/<id>.manifest.json` and checks the fields code relies on. */
export async function readManifest<K extends ModelManifest['kind']>(
  dir: string,
  id: string,
  kind: K,
): Promise<Extract<ModelManifest, { kind: K }>> {
  const path = join(dir, `${id}.manifest.json`);
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(await readFile(path, 'utf8')) as ModelManifest;
  } catch (error) {
    throw new ModelFileError(`Cannot read model manifest ${path}: ${(error as Error).message}`);
  }
  if (manifest.kind !== kind) throw new ModelFileError(`${path} describes a ${manifest.kind}, expected a ${kind}`);
  if (manifest.id !== id) throw new ModelFileError(`${path} has id ${manifest.id}, expected ${id}`);
  if (!/^[0-9a-f]{64}$/.test(manifest.sha256)) throw new ModelFileError(`${path}: sha256 must be 64 hex digits`);
  if (manifest.kind === 'embedder') {
    if (manifest.alignment.template.length !== 5) throw new ModelFileError(`${path}: alignment template needs 5 points`);
    if (!(manifest.output.dimension > 0)) throw new ModelFileError(`${path}: output dimension must be positive`);
  }
  return manifest as Extract<ModelManifest, { kind: K }>;
}

/** Where model files are: downloaded ones (MODEL_DIR) and the ones this project builds (GENERATED_MODEL_DIR). */
export interface ModelDirectories {
  modelDir: string;
  generatedModelDir: string;
}

/** Loads a model file and refuses it unless its sha256 matches the manifest. */
export async function readModelFile(dirs: ModelDirectories, manifest: ModelManifest): Promise<Uint8Array> {
  const { build } = manifest;
  const path = join(build ? dirs.generatedModelDir : dirs.modelDir, manifest.file);
  const remedy = build
    ? `It is built from ${build.from}: run \`${build.command}\` (it writes to GENERATED_MODEL_DIR), or set GENERATED_MODEL_DIR to the folder that holds it.`
    : 'Set MODEL_DIR to the folder that holds it, or run `npm run models:fetch`.';
  return readVerifiedFile(path, manifest.id, manifest.sha256, remedy, build ? ` Rebuild it: \`${build.command}\`.` : '');
}

/** An embedder imported into the model registry: its manifest, and its file as the registry stored it. */
export interface StoredEmbedder {
  manifest: EmbedderManifest;
  path: string;
  /** Of the stored bytes (the manifest's sha256 is of the file as imported, before a batch rewrite). */
  sha256: string;
}

export function readStoredModelFile(stored: StoredEmbedder): Promise<Uint8Array> {
  const remedy = 'Imported models live in MODEL_STORE_DIR: every process must see the folder the API stored it in.';
  return readVerifiedFile(stored.path, stored.manifest.id, stored.sha256, remedy, ' The stored copy was changed after import.');
}

async function readVerifiedFile(path: string, id: string, sha256: string, missingRemedy: string, mismatchRemedy: string): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new ModelFileError(`Model file ${path} (${id}) is missing. ${missingRemedy}`);
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== sha256) throw new ModelFileError(`Model file ${path} has sha256 ${digest}, manifest ${id} expects ${sha256}.${mismatchRemedy}`);
  return bytes;
}
