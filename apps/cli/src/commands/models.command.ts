import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { DEFAULT_TENANT, TenantRepository } from '../../../../libs/database/src/index.js';
import { ModelRegistryModule, ModelRegistryService, ModelVersionView } from '../../../../libs/recognition/src/index.js';
import { CliCommand, ParsedArgs, stringFlag, UsageError } from './command.js';

const USAGE = 'models list | models register --manifest FILE [--file ONNX] | models activate ID [--gallery ID] [--tenant NAME]';

/**
 * The model registry from the command line, on the configured database: the same service as the
 * admin GraphQL fields, without the vector index. `register` reads the ONNX file next to the
 * manifest (its `file` field) unless --file names it; any local path works here.
 */
export const modelsCommand: CliCommand = {
  name: 'models',
  summary: 'List, import (validated on real faces) or activate embedders of the model registry',
  usage: USAGE,
  async run(args) {
    const [action, id] = args.positional;
    if (!['list', 'register', 'activate'].includes(action)) throw new UsageError('models needs list, register or activate');
    if (action === 'activate' && !id) throw new UsageError('models activate needs the model id');
    const app = await NestFactory.createApplicationContext(ModelRegistryModule, { logger: ['error', 'warn'] });
    try {
      const registry = app.get(ModelRegistryService);
      if (action === 'list') return (await registry.list()).map(summary);
      if (action === 'register') {
        const { manifest, bytes } = await readImport(args);
        const model = await registry.register(manifest, { bytes });
        return { ...summary(model), validationReport: model.validationReport };
      }
      const tenant = stringFlag(args, 'tenant', DEFAULT_TENANT);
      const galleryId = args.flags.has('gallery') ? stringFlag(args, 'gallery') : null;
      const { id: tenantId } = await app.get(TenantRepository).getByName(tenant);
      const { model } = await registry.activate(id, tenantId, galleryId);
      console.error(galleryId ? `Gallery ${galleryId} pinned to ${id}.` : `${id} is active: API and worker processes load it at their next start.`);
      return { ...summary(model), galleryId };
    } finally {
      await app.close();
    }
  },
};

/** What a person reads in a listing: the manifest and report stay in `model(id)` / the database. */
const summary = (m: ModelVersionView) => ({
  id: m.id, version: m.version, kind: m.kind, source: m.source, status: m.status, dimension: m.dimension,
  threshold: m.threshold?.squaredDistance ?? null, pinnedGalleries: m.pinnedGalleries, sha256: m.sha256,
  createdAt: m.createdAt, activatedAt: m.activatedAt,
});

async function readImport(args: ParsedArgs): Promise<{ manifest: unknown; bytes: Uint8Array }> {
  const manifestPath = resolve(stringFlag(args, 'manifest'));
  let manifest: { file?: unknown };
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { file?: unknown };
  } catch (error) {
    throw new UsageError(`--manifest ${manifestPath}: ${(error as Error).message}`);
  }
  const fromManifest = typeof manifest?.file === 'string' ? resolve(dirname(manifestPath), manifest.file) : undefined;
  const filePath = args.flags.has('file') ? resolve(stringFlag(args, 'file')) : fromManifest;
  if (!filePath) throw new UsageError('--file is needed: the manifest names no file');
  try {
    return { manifest, bytes: await readFile(filePath) };
  } catch (error) {
    throw new UsageError(`--file ${filePath}: ${(error as Error).message}`);
  }
}
