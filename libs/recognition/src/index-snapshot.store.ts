import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HnswOptions, PartitionedHnswIndex, scanHnswFile } from '../../vector-index/src/index.js';

/** Who a face of the index is: its gallery (the index partition), identity and face. */
export interface LabelOwner {
  galleryId: string;
  identityId: string;
  faceId: string;
}

/** What a snapshot must have been taken of to be loaded. */
export interface SnapshotIdentity {
  databaseId: string;
  model: { id: string; version: string; sha256: string; dimension: number };
  index: { m: number; efConstruction: number };
}

interface FileEntry {
  bytes: number;
  sha256: string;
}

interface SnapshotManifest extends SnapshotIdentity {
  format: number;
  /** Id of the last outbox change the snapshot reflects. */
  watermark: number;
  faces: number;
  createdAt: string;
  /** Gallery ids, referred to by position from the label records. */
  galleries: string[];
  files: { graph: FileEntry; labels: FileEntry };
}

export interface LoadedSnapshot {
  name: string;
  watermark: number;
  index: PartitionedHnswIndex;
  owners: Map<number, LabelOwner>;
}

export interface WrittenSnapshot {
  name: string;
  faces: number;
  bytes: number;
  /** Graph slots of removed faces, scrubbed in the file (see scanHnswFile). */
  deletedSlots: number;
}

/** A snapshot that cannot be used, and why (for the log line that announces the full rebuild). */
export class SnapshotRejected extends Error {}

const FORMAT = 1;
const GRAPH = 'graph.hnsw';
const LABELS = 'labels.bin';
const MANIFEST = 'manifest.json';
/** Per face in labels.bin: label (float64), gallery position (uint32), identity and face uuids (16 bytes each). */
const RECORD_BYTES = 44;
const SNAPSHOT_NAME = /^snapshot-(\d{20})$/;
const TEMP_PREFIX = '.tmp-';
/** A temporary directory this old is a write that died (writing one takes seconds), not one in progress elsewhere. */
const ABANDONED_TEMP_MS = 60 * 60 * 1000;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const snapshotName = (watermark: number) => `snapshot-${String(watermark).padStart(20, '0')}`;

/**
 * Index snapshots under one directory (DATA_DIR/index-snapshots), each a directory named after its
 * watermark: `graph.hnsw` (hnswlib's file, removed faces scrubbed), `labels.bin` (owner of every
 * face), `manifest.json` (what it was taken of, sizes and sha256 of both files, and its own
 * sha256). It is written under a temporary name and renamed into place once complete and synced,
 * so a crash leaves either the old snapshot or the new one; older ones are then deleted. Several
 * processes may share the directory: names never collide, and the newest watermark wins.
 */
export class IndexSnapshotStore {
  constructor(private readonly dir: string) {}

  /** A new snapshot in a temporary directory: `capture` it while the index is still, then `commit` it. */
  async start(): Promise<SnapshotWriter> {
    await mkdir(this.dir, { recursive: true });
    const temp = join(this.dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(temp);
    return new SnapshotWriter(this.dir, temp);
  }

  /**
   * The newest snapshot, loaded after checking it against `expected` and its checksums; any problem
   * is a SnapshotRejected saying what. Whether it agrees with Postgres is the caller's to verify.
   */
  async loadNewest(expected: SnapshotIdentity, options: HnswOptions): Promise<LoadedSnapshot> {
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter((n) => SNAPSHOT_NAME.test(n)).sort();
    const name = names.at(-1);
    if (!name) throw new SnapshotRejected(`no snapshot in ${this.dir}`);
    const path = join(this.dir, name);
    const manifest = parseManifest(await readFile(join(path, MANIFEST), 'utf8').catch(() => ''), name);
    checkIdentity(manifest, expected);

    const labels = await readFile(join(path, LABELS)).catch(() => Buffer.alloc(0));
    if (labels.length !== manifest.faces * RECORD_BYTES || sha256(labels) !== manifest.files.labels.sha256) {
      throw new SnapshotRejected(`${name}/${LABELS} does not match its checksum`);
    }
    const owners = decodeOwners(labels, manifest.galleries);
    const graphPath = join(path, GRAPH);
    const scan = await scanHnswFile(graphPath, { scrub: false }).catch((error: Error) => {
      throw new SnapshotRejected(`${name}/${GRAPH} is unreadable: ${error.message}`);
    });
    if (scan.sha256 !== manifest.files.graph.sha256) throw new SnapshotRejected(`${name}/${GRAPH} does not match its checksum`);
    if (!sameLabels(scan.liveLabels, owners)) throw new SnapshotRejected(`${name}: the graph and ${LABELS} hold different faces`);
    const partitions = Array.from(owners, ([label, owner]) => [label, owner.galleryId] as const);
    const index = await PartitionedHnswIndex.readGraph(options, graphPath, partitions);
    return { name, watermark: manifest.watermark, index, owners };
  }
}

/** One snapshot being written (see IndexSnapshotStore.start). */
export class SnapshotWriter {
  private captured?: { watermark: number; labels: Buffer; galleries: string[]; sortedLabels: Float64Array };

  constructor(
    private readonly dir: string,
    private readonly temp: string,
  ) {}

  /** Takes the index as it is at `watermark`; nothing may change it until this resolves. */
  async capture(index: PartitionedHnswIndex, owners: Map<number, LabelOwner>, watermark: number): Promise<void> {
    this.captured = { watermark, ...encodeOwners(owners) };
    await index.writeGraph(join(this.temp, GRAPH));
  }

  /** Scrubs and checks the graph, writes the rest, syncs, and moves the snapshot into place. */
  async commit(identity: SnapshotIdentity): Promise<WrittenSnapshot> {
    const { watermark, labels, galleries, sortedLabels } = this.captured!;
    const graphPath = join(this.temp, GRAPH);
    const graph = await scanHnswFile(graphPath, { scrub: true });
    if (!equalArrays(graph.liveLabels, sortedLabels)) throw new Error('the saved graph does not hold the faces captured with it');
    await writeFile(join(this.temp, LABELS), labels);
    const body = {
      format: FORMAT,
      ...identity,
      watermark,
      faces: sortedLabels.length,
      createdAt: new Date().toISOString(),
      galleries,
      files: { graph: { bytes: graph.bytes, sha256: graph.sha256 }, labels: { bytes: labels.length, sha256: sha256(labels) } },
    } satisfies SnapshotManifest;
    await writeFile(join(this.temp, MANIFEST), JSON.stringify({ ...body, sha256: sha256(Buffer.from(JSON.stringify(body))) }));
    for (const file of [GRAPH, LABELS, MANIFEST, '.']) await fsync(join(this.temp, file));

    const name = snapshotName(watermark);
    await this.moveInto(join(this.dir, name));
    await fsync(this.dir);
    await this.deleteOlderThan(watermark);
    return { name, faces: sortedLabels.length, bytes: graph.bytes + labels.length, deletedSlots: graph.deleted };
  }

  /**
   * Renames the snapshot to `path`, replacing one of the same watermark: the same faces, but that
   * one may be the damaged snapshot this process just rebuilt instead of loading.
   */
  private async moveInto(path: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await rename(this.temp, path);
      } catch (error) {
        // Another process sharing the directory may be replacing it too: a few attempts settle it.
        if (!['EEXIST', 'ENOTEMPTY'].includes((error as NodeJS.ErrnoException).code ?? '') || attempt === 3) throw error;
        const replaced = `${this.temp}-replaced`;
        await rename(path, replaced).catch(() => undefined);
        await rm(replaced, { recursive: true, force: true });
      }
    }
  }

  async abandon(): Promise<void> {
    await rm(this.temp, { recursive: true, force: true });
  }

  /** Deletes snapshots older than `watermark` and temporary directories of writes that died. */
  private async deleteOlderThan(watermark: number): Promise<void> {
    for (const entry of await readdir(this.dir)) {
      const path = join(this.dir, entry);
      const match = SNAPSHOT_NAME.exec(entry);
      const old = match
        ? Number(match[1]) < watermark
        : entry.startsWith(TEMP_PREFIX) && Date.now() - (await stat(path).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs > ABANDONED_TEMP_MS;
      if (old) await rm(path, { recursive: true, force: true });
    }
  }
}

function parseManifest(text: string, name: string): SnapshotManifest {
  let parsed: SnapshotManifest & { sha256?: string };
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SnapshotRejected(`${name}/${MANIFEST} is missing or unreadable`);
  }
  const { sha256: checksum, ...body } = parsed;
  if (checksum !== sha256(Buffer.from(JSON.stringify(body)))) throw new SnapshotRejected(`${name}/${MANIFEST} does not match its checksum`);
  if (body.format !== FORMAT) throw new SnapshotRejected(`${name} has format ${body.format}; this version reads ${FORMAT}`);
  return body;
}

function checkIdentity(manifest: SnapshotManifest, expected: SnapshotIdentity): void {
  if (manifest.databaseId !== expected.databaseId) throw new SnapshotRejected('it was taken of another database');
  const model = (m: SnapshotIdentity['model']) => `${m.id} ${m.version} (sha256 ${m.sha256.slice(0, 12)}…, ${m.dimension}-D)`;
  if (model(manifest.model) !== model(expected.model)) {
    throw new SnapshotRejected(`it holds embeddings of model ${model(manifest.model)}, this process runs ${model(expected.model)}`);
  }
  const { m, efConstruction } = manifest.index;
  if (m !== expected.index.m || efConstruction !== expected.index.efConstruction) {
    throw new SnapshotRejected(`its graph was built with HNSW_M=${m}, HNSW_EF_CONSTRUCTION=${efConstruction}; configured: ${expected.index.m}, ${expected.index.efConstruction}`);
  }
}

function encodeOwners(owners: Map<number, LabelOwner>): { labels: Buffer; galleries: string[]; sortedLabels: Float64Array } {
  const labels = Buffer.alloc(owners.size * RECORD_BYTES);
  const galleryPositions = new Map<string, number>();
  const sortedLabels = new Float64Array(owners.size);
  let at = 0;
  for (const [label, owner] of owners) {
    let gallery = galleryPositions.get(owner.galleryId);
    if (gallery === undefined) galleryPositions.set(owner.galleryId, (gallery = galleryPositions.size));
    sortedLabels[at / RECORD_BYTES] = label;
    labels.writeDoubleLE(label, at);
    labels.writeUInt32LE(gallery, at + 8);
    labels.write(owner.identityId.replaceAll('-', ''), at + 12, 16, 'hex');
    labels.write(owner.faceId.replaceAll('-', ''), at + 28, 16, 'hex');
    at += RECORD_BYTES;
  }
  return { labels, galleries: [...galleryPositions.keys()], sortedLabels: sortedLabels.sort() };
}

function decodeOwners(labels: Buffer, galleries: string[]): Map<number, LabelOwner> {
  const owners = new Map<number, LabelOwner>();
  for (let at = 0; at < labels.length; at += RECORD_BYTES) {
    owners.set(labels.readDoubleLE(at), {
      galleryId: galleries[labels.readUInt32LE(at + 8)],
      identityId: uuid(labels, at + 12),
      faceId: uuid(labels, at + 28),
    });
  }
  return owners;
}

function uuid(bytes: Buffer, at: number): string {
  const hex = bytes.toString('hex', at, at + 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function sameLabels(sorted: Float64Array, owners: Map<number, LabelOwner>): boolean {
  return sorted.length === owners.size && equalArrays(sorted, Float64Array.from(owners.keys()).sort());
}

function equalArrays(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

async function fsync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
