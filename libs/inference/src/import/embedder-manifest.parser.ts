import { EmbedderManifest } from '../model.manifest.js';
import { ModelImportError, ModelImportFailure } from './model-import.error.js';

/** Model ids name files, log lines and CLI arguments: keep them plain. */
export const MODEL_ID = /^[a-z0-9][a-z0-9._-]{0,99}$/;

type Json = Record<string, unknown>;

/**
 * Checks a manifest brought with an ONNX embedder (the shape of models/*.manifest.json) and returns
 * a clean copy holding only the fields the platform reads. Every problem is listed at once, so one
 * round trip fixes them all. Imported models are stored by the registry, so `build` is refused.
 */
export function parseEmbedderManifest(value: unknown): EmbedderManifest {
  const problems: string[] = [];
  const root = object(value, 'manifest', problems);
  const input = object(root.input, 'input', problems);
  const output = object(root.output, 'output', problems);
  const alignment = object(root.alignment, 'alignment', problems);
  const threshold = object(root.threshold, 'threshold', problems);

  const id = text(root.id, 'id', problems);
  if (id && !MODEL_ID.test(id)) problems.push('id must be 1–100 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit');
  if (root.kind !== 'embedder') problems.push(`kind must be "embedder" (got ${JSON.stringify(root.kind)}): only embedders can be imported`);
  if (root.build !== undefined) problems.push('build is for models this project builds itself; an imported model is stored by the registry');
  const sha256 = text(root.sha256, 'sha256', problems);
  if (sha256 && !/^[0-9a-f]{64}$/.test(sha256)) problems.push('sha256 must be 64 lower-case hex digits (the sha256 of the ONNX file)');

  const width = integer(input.width, 'input.width', 16, 1024, problems);
  const height = integer(input.height, 'input.height', 16, 1024, problems);
  const colorOrder = oneOf(input.colorOrder, 'input.colorOrder', ['RGB', 'BGR'] as const, problems);
  const std = triple(input.std, 'input.std', problems);
  if (std.some((s) => s === 0)) problems.push('input.std must not contain 0');
  const scale = finite(input.scale, 'input.scale', problems);

  const alignWidth = integer(alignment.width, 'alignment.width', 16, 1024, problems);
  const alignHeight = integer(alignment.height, 'alignment.height', 16, 1024, problems);
  if (alignWidth !== width || alignHeight !== height) problems.push('alignment.width/height must equal input.width/height: the aligned crop is the network input');
  const template = Array.isArray(alignment.template) ? alignment.template : [];
  const points = template.filter(
    (p): p is [number, number] => Array.isArray(p) && p.length === 2 && p.every((c) => typeof c === 'number' && Number.isFinite(c)),
  );
  if (template.length !== 5 || points.length !== 5) {
    problems.push('alignment.template must be 5 [x, y] points: eyes, nose tip, mouth corners as seen in the crop');
  } else if (points.some(([x, y]) => x < 0 || y < 0 || x > alignWidth || y > alignHeight)) {
    problems.push('alignment.template points must lie inside the crop');
  }

  const squaredDistance = finite(threshold.squaredDistance, 'threshold.squaredDistance', problems);
  if (!(squaredDistance > 0 && squaredDistance <= 4)) problems.push('threshold.squaredDistance must be in (0, 4]: a squared L2 distance between unit vectors');
  const far = threshold.far === undefined ? undefined : finite(threshold.far, 'threshold.far', problems);
  if (far !== undefined && !(far > 0 && far < 1)) problems.push('threshold.far must be in (0, 1)');
  const accuracyOptimal = threshold.accuracyOptimal === undefined ? undefined : finite(threshold.accuracyOptimal, 'threshold.accuracyOptimal', problems);
  const falseAcceptRates = rates(threshold.falseAcceptRates, problems);

  const manifest: EmbedderManifest = {
    id,
    version: text(root.version, 'version', problems),
    kind: 'embedder',
    file: text(root.file, 'file', problems),
    sha256,
    sourceUrl: optionalText(root.sourceUrl, 'sourceUrl', problems),
    license: optionalText(root.license, 'license', problems),
    input: {
      name: text(input.name, 'input.name', problems), width, height, colorOrder, scale,
      mean: triple(input.mean, 'input.mean', problems), std,
    },
    output: {
      name: text(output.name, 'output.name', problems),
      dimension: integer(output.dimension, 'output.dimension', 1, 8192, problems),
      normalized: output.normalized === undefined ? false : bool(output.normalized, 'output.normalized', problems),
    },
    alignment: { width: alignWidth, height: alignHeight, template: points },
    flipAugmentation: oneOf(root.flipAugmentation ?? 'none', 'flipAugmentation', ['none', 'sum'] as const, problems),
    threshold: {
      squaredDistance,
      source: text(threshold.source, 'threshold.source', problems),
      ...(far !== undefined ? { far } : {}),
      ...(falseAcceptRates ? { falseAcceptRates } : {}),
      ...(accuracyOptimal !== undefined ? { accuracyOptimal } : {}),
    },
  };
  if (problems.length) {
    throw new ModelImportError(ModelImportFailure.MANIFEST, `The manifest is invalid: ${problems.join('; ')}`, { problems });
  }
  return manifest;
}

function object(value: unknown, name: string, problems: string[]): Json {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Json;
  problems.push(`${name} must be an object`);
  return {};
}

function text(value: unknown, name: string, problems: string[]): string {
  if (typeof value === 'string' && value.trim() !== '' && value.length <= 2000) return value;
  problems.push(`${name} must be a non-empty string`);
  return '';
}

function optionalText(value: unknown, name: string, problems: string[]): string {
  return value === undefined ? '' : text(value, name, problems);
}

function finite(value: unknown, name: string, problems: string[]): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  problems.push(`${name} must be a finite number`);
  return NaN;
}

function integer(value: unknown, name: string, min: number, max: number, problems: string[]): number {
  if (Number.isInteger(value) && (value as number) >= min && (value as number) <= max) return value as number;
  problems.push(`${name} must be an integer from ${min} to ${max}`);
  return NaN;
}

function bool(value: unknown, name: string, problems: string[]): boolean {
  if (typeof value === 'boolean') return value;
  problems.push(`${name} must be true or false`);
  return false;
}

function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[], problems: string[]): T {
  if (allowed.includes(value as T)) return value as T;
  problems.push(`${name} must be one of ${allowed.join(', ')}`);
  return allowed[0];
}

function triple(value: unknown, name: string, problems: string[]): [number, number, number] {
  if (Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return value as [number, number, number];
  }
  problems.push(`${name} must be 3 finite numbers (one per tensor channel)`);
  return [NaN, NaN, NaN];
}

function rates(value: unknown, problems: string[]): EmbedderManifest['threshold']['falseAcceptRates'] {
  if (value === undefined) return undefined;
  const entries = Object.entries(object(value, 'threshold.falseAcceptRates', problems));
  const valid = entries.filter(([far, entry]) => {
    const e = entry as Json | null;
    return Number(far) > 0 && Number(far) < 1 && typeof e === 'object' && e !== null
      && typeof e.squaredDistance === 'number' && e.squaredDistance > 0 && e.squaredDistance <= 4 && typeof e.tar === 'number' && e.tar >= 0 && e.tar <= 1;
  });
  if (valid.length !== entries.length) {
    problems.push('threshold.falseAcceptRates must map rates in (0, 1) to { squaredDistance in (0, 4], tar in [0, 1] }');
  }
  return Object.fromEntries(valid.map(([far, e]) => [far, { squaredDistance: (e as Json).squaredDistance as number, tar: (e as Json).tar as number }]));
}
