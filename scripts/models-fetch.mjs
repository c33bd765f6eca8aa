#!/usr/bin/env node
// Downloads every model named by models/*.manifest.json into MODEL_DIR (default ../shared/models)
// from its public source and checks its sha256. Files already present with the right hash are kept.
// Models the project builds itself (a manifest with `build`) are skipped: their command makes them.
// Plain JavaScript so that it runs before anything is built.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const manifestDir = resolve(process.env.MODEL_MANIFEST_DIR ?? 'models');
const modelDir = resolve(process.env.MODEL_DIR ?? '../shared/models');
const TIMEOUT_MS = 60_000;

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

async function fetchModel(manifest) {
  if (manifest.build) {
    console.error(`${manifest.id}: not downloaded; it is built from ${manifest.build.from} by \`${manifest.build.command}\``);
    return true;
  }
  const target = join(modelDir, manifest.file);
  if (existsSync(target) && sha256(await readFile(target)) === manifest.sha256) {
    console.error(`${manifest.id}: ${target} already present (sha256 ok)`);
    return true;
  }
  console.error(`${manifest.id}: downloading ${manifest.sourceUrl}`);
  let bytes;
  try {
    const response = await fetch(manifest.sourceUrl, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'follow' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    bytes = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    const reason = error.cause?.code ?? error.cause?.message ?? error.message;
    console.error(
      `${manifest.id}: cannot download ${manifest.sourceUrl} (${reason}). ` +
        `Offline? Copy ${manifest.file} (sha256 ${manifest.sha256}) into ${modelDir} by hand, or set MODEL_DIR to a folder that has it.`,
    );
    return false;
  }
  const digest = sha256(bytes);
  if (digest !== manifest.sha256) {
    console.error(`${manifest.id}: downloaded file has sha256 ${digest}, expected ${manifest.sha256}; not saved`);
    return false;
  }
  await mkdir(modelDir, { recursive: true });
  await writeFile(`${target}.part`, bytes);
  await rename(`${target}.part`, target);
  console.error(`${manifest.id}: saved ${target}`);
  return true;
}

const manifests = [];
for (const name of (await readdir(manifestDir)).filter((f) => f.endsWith('.manifest.json')).sort()) {
  manifests.push(JSON.parse(await readFile(join(manifestDir, name), 'utf8')));
}
const results = [];
for (const manifest of manifests) results.push(await fetchModel(manifest));
process.exit(results.every(Boolean) ? 0 : 1);
