import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HnswFileScan, HnswOptions, PartitionedHnswIndex, scanHnswFile, StoredVector } from '../../vector-index/src/index.js';

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

/** The graph of one gallery that has one (see PartitionedHnswIndex). */
interface GraphEntry extends FileEntry {
  file: string;
  /** Position in `galleries`. */
  gallery: number;
}

interface SnapshotManifest extends SnapshotIdentity {
  format: number;
  /** Id of the last outbox change the snapshot reflects. */
  watermark: number;
  faces: number;
  createdAt: string;
  /** Gallery ids, referred to by position from the label records. */
  galleries: string[];
  files: { graphs: GraphEntry[]; labels: FileEntry; vectors: FileEntry };
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

/** 2: one graph file per gallery that has a graph, and the vectors of the galleries searched exactly. */
const FORMAT = 2;
const graphFile = (gallery: number) => `graph-${gallery}.hnsw`;
const LABELS = 'labels.bin';
const VECTORS = 'vectors.bin';
const MANIFEST = 'manifest.json';
/** Per face in labels.bin: label (float64), gallery position (uint32), identity and face uuids (16 bytes each). */
const RECORD_BYTES = 44;
/** Per face of an exactly searched gallery in vectors.bin: label (float64), then the vector (float32 each). */
const vectorRecordBytes = (dimension: number) => 8 + 4 * dimension;
const SNAPSHOT_NAME = /^snapshot-(\d{20})$/;
const TEMP_PREFIX = '.tmp-';
/** A temporary directory this old is a write that died (writing one takes seconds), not one in progress elsewhere. */
const ABANDONED_TEMP_MS = 60 * 60 * 1000;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const snapshotName = (watermark: number) => `snapshot-${String(watermark).padStart(20, '0')}`;

/**
 * Index snapshots under one directory (DATA_DIR/index-snapshots), each a directory named after its
 * watermark: `graph-N.hnsw` per gallery that has a graph (hnswlib's file, removed faces scrubbed; N
 * its position in the manifest's gallery list), `vectors.bin` (the faces of the galleries searched
 * exactly), `labels.bin` (owner of every face), `manifest.json` (what it was taken of, sizes and
 * sha256 of every file, and its own sha256). It is written under a temporary name and renamed into place once complete and synced,
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
    const vectors = await readFile(join(path, VECTORS)).catch(() => Buffer.alloc(0));
    const recordBytes = vectorRecordBytes(expected.model.dimension);
    if (vectors.length % recordBytes !== 0 || sha256(vectors) !== manifest.files.vectors.sha256) {
      throw new SnapshotRejected(`${name}/${VECTORS} does not match its checksum`);
    }
    const plain = decodeVectors(vectors, recordBytes, owners);
    const graphs: { partition: string; path: string; scan: HnswFileScan }[] = [];
    for (const entry of manifest.files.graphs) {
      const partition = manifest.galleries[entry.gallery];
      if (partition === undefined || entry.file !== graphFile(entry.gallery)) throw new SnapshotRejected(`${name}/${MANIFEST} names a graph of no gallery`);
      const graphPath = join(path, entry.file);
      const scan = await scanHnswFile(graphPath, { scrub: false }).catch((error: Error) => {
        throw new SnapshotRejected(`${name}/${entry.file} is unreadable: ${error.message}`);
      });
      if (scan.sha256 !== entry.sha256) throw new SnapshotRejected(`${name}/${entry.file} does not match its checksum`);
      if (scan.liveLabels.some((label) => owners.get(label)?.galleryId !== partition)) throw new SnapshotRejected(`${name}/${entry.file} holds faces of another gallery`);
      graphs.push({ partition, path: graphPath, scan });
    }
    const stored = sortedLabelsOf(graphs.map(({ scan }) => scan.liveLabels), plain);
    if (!equalArrays(stored, Float64Array.from(owners.keys()).sort())) throw new SnapshotRejected(`${name}: the graphs and vectors hold other faces than ${LABELS}`);
    const graphLabels = graphs.flatMap(({ partition, scan }) => Array.from(scan.liveLabels, (label) => [label, partition] as const));
    const index = await PartitionedHnswIndex.restore(
      options,
      graphs.map(({ partition, path: graphPath, scan }) => ({ partition, path: graphPath, liveCount: scan.liveLabels.length })),
      graphLabels,
      plain,
    );
    return { name, watermark: manifest.watermark, index, owners };
  }
}

/** One snapshot being written (see IndexSnapshotStore.start). */
export class SnapshotWriter {
  private captured?: {
    watermark: number; labels: Buffer; vectors: Buffer; galleries: string[]; sortedLabels: Float64Array; graphs: { file: string; gallery: number }[];
  };

  constructor(
    private readonly dir: string,
    private readonly temp: string,
  ) {}

  /** Takes the index as it is at `watermark`; nothing may change it until this resolves. */
  async capture(index: PartitionedHnswIndex, owners: Map<number, LabelOwner>, watermark: number): Promise<void> {
    const { labels, galleries, sortedLabels } = encodeOwners(owners);
    const positions = new Map(galleries.map((gallery, position) => [gallery, position]));
    const savable = index.graphPartitions();
    const vectors = encodeVectors(index.plainVectors(), index.dimension);
    const graphs = savable.map(({ partition }) => ({ gallery: positions.get(partition)!, file: graphFile(positions.get(partition)!) }));
    this.captured = { watermark, labels, vectors, galleries, sortedLabels, graphs };
    for (const [i, graph] of savable.entries()) await graph.write(join(this.temp, graphs[i].file));
  }

  /** Scrubs and checks the graphs, writes the rest, syncs, and moves the snapshot into place. */
  async commit(identity: SnapshotIdentity): Promise<WrittenSnapshot> {
    const { watermark, labels, vectors, galleries, sortedLabels, graphs } = this.captured!;
    const entries: GraphEntry[] = [];
    const scans: HnswFileScan[] = [];
    for (const { file, gallery } of graphs) {
      const scan = await scanHnswFile(join(this.temp, file), { scrub: true });
      scans.push(scan);
      entries.push({ file, gallery, bytes: scan.bytes, sha256: scan.sha256 });
    }
    const plain = decodeVectors(vectors, vectorRecordBytes(identity.model.dimension));
    if (!equalArrays(sortedLabelsOf(scans.map((scan) => scan.liveLabels), plain), sortedLabels)) {
      throw new Error('the saved graphs and vectors do not hold the faces captured with them');
    }
    await writeFile(join(this.temp, LABELS), labels);
    await writeFile(join(this.temp, VECTORS), vectors);
    const body = {
      format: FORMAT,
      ...identity,
      watermark,
      faces: sortedLabels.length,
      createdAt: new Date().toISOString(),
      galleries,
      files: {
        graphs: entries,
        labels: { bytes: labels.length, sha256: sha256(labels) },
        vectors: { bytes: vectors.length, sha256: sha256(vectors) },
      },
    } satisfies SnapshotManifest;
    await writeFile(join(this.temp, MANIFEST), JSON.stringify({ ...body, sha256: sha256(Buffer.from(JSON.stringify(body))) }));
    for (const file of [...graphs.map((graph) => graph.file), LABELS, VECTORS, MANIFEST, '.']) await fsync(join(this.temp, file));

    const name = snapshotName(watermark);
    await this.moveInto(join(this.dir, name));
    await fsync(this.dir);
    await this.deleteOlderThan(watermark);
    const bytes = entries.reduce((sum, entry) => sum + entry.bytes, labels.length + vectors.length);
    return { name, faces: sortedLabels.length, bytes, deletedSlots: scans.reduce((sum, scan) => sum + scan.deleted, 0) };
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

function encodeVectors(plain: Iterable<StoredVector>, dimension: number): Buffer {
  const records = [...plain];
  const recordBytes = vectorRecordBytes(dimension);
  const bytes = Buffer.alloc(records.length * recordBytes);
  records.forEach(({ label, vector }, i) => {
    bytes.writeDoubleLE(label, i * recordBytes);
    Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).copy(bytes, i * recordBytes + 8);
  });
  return bytes;
}

/** The plain vectors of vectors.bin, each in the gallery `owners` gives it (none when not given: only labels are needed). */
function decodeVectors(bytes: Buffer, recordBytes: number, owners?: Map<number, LabelOwner>): StoredVector[] {
  const records: StoredVector[] = [];
  for (let at = 0; at < bytes.length; at += recordBytes) {
    const label = bytes.readDoubleLE(at);
    const vector = new Float32Array(bytes.buffer.slice(bytes.byteOffset + at + 8, bytes.byteOffset + at + recordBytes));
    records.push({ label, partition: owners?.get(label)?.galleryId ?? '', vector });
  }
  return records;
}

/** Every label of the graphs and the plain vectors, ascending. */
function sortedLabelsOf(graphs: Float64Array[], plain: StoredVector[]): Float64Array {
  const all = new Float64Array(graphs.reduce((sum, labels) => sum + labels.length, plain.length));
  let at = 0;
  for (const labels of graphs) all.set(labels, (at += labels.length) - labels.length);
  for (const { label } of plain) all[at++] = label;
  return all.sort();
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
