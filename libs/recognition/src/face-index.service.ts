import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DomainException, ErrorCode } from '../../common/src/index.js';
import { AppConfig } from '../../config/src/index.js';
import {
  EmbeddingRepository, IndexChange, IndexChangeListener, IndexChangeRepository, IndexChangeSubscription, IndexedEmbedding, IndexSourceReader,
} from '../../database/src/index.js';
import { HnswOptions, PartitionedHnswIndex } from '../../vector-index/src/index.js';
import { FaceAnalysisService } from './face-analysis.service.js';
import { FaceHit, FaceIndex } from './face-index.port.js';
import { IndexSnapshotStore, LabelOwner, SnapshotIdentity, SnapshotWriter } from './index-snapshot.store.js';

/** How the index came to be at boot. */
export interface IndexBoot {
  source: 'snapshot' | 'postgres';
  /** Boot of the index alone, from the first read to ready. */
  ms: number;
  faces: number;
  /** Outbox changes applied on top of the snapshot, or during the rebuild. */
  replayedChanges: number;
  /** Why no snapshot was used (none when the source is the snapshot). */
  snapshotRejected?: string;
}

/** Outbox changes read per round trip; the event loop serves requests between batches. */
const CHANGE_BATCH = 1000;

/**
 * The in-memory HNSW index of the active embedding space, partitioned by gallery: this process's
 * replica. Postgres is the source of truth. Every enrollment and deletion, whichever process makes
 * it, writes its changes to the `index_changes` outbox in its own transaction; each replica applies
 * them in id order, one batch at a time, and idempotently (an add already present or a removal
 * already gone does nothing). `watermark` is the id of the last change applied. This process's own
 * writes take the same path: the writer awaits `catchUp` before answering, so clients read their
 * own writes.
 *
 * At boot the newest snapshot is loaded and the changes after its watermark replayed, then checked
 * against Postgres (counts, and a sample of faces both ways, in one consistent read); when it is
 * missing, damaged, of another model, database or graph setting, too old to replay, or disagrees,
 * the index is rebuilt from every embedding instead, and the log says why. Snapshots are written
 * after a rebuild, every INDEX_SNAPSHOT_EVERY_CHANGES changes or INDEX_SNAPSHOT_INTERVAL_SECONDS
 * when anything changed, and on shutdown.
 */
@Injectable()
export class FaceIndexService implements FaceIndex, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(FaceIndexService.name);
  private readonly snapshots: IndexSnapshotStore;
  private index: PartitionedHnswIndex;
  private owners = new Map<number, LabelOwner>();
  private ready = false;
  private watermark = 0;
  private identity: SnapshotIdentity;
  private bootReport?: IndexBoot;
  /** Everything that changes the index, or must see it still, runs here, one at a time. */
  private serial: Promise<unknown> = Promise.resolve();
  /** A catch-up queued but not started yet, which later callers join. */
  private queuedCatchUp?: Promise<void>;
  private subscription?: IndexChangeSubscription;
  private pollTimer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private stopping = false;
  private lastPollError?: string;
  private changesSinceSnapshot = 0;
  private lastSnapshotAt = Date.now();
  private snapshotting?: Promise<void>;

  constructor(
    private readonly config: AppConfig,
    private readonly analysis: FaceAnalysisService,
    private readonly embeddings: EmbeddingRepository,
    private readonly changes: IndexChangeRepository,
    private readonly listener: IndexChangeListener,
  ) {
    this.snapshots = new IndexSnapshotStore(config.index.snapshots.dir);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { databaseId } = await this.changes.outboxState();
    this.identity = { databaseId, model: this.analysis.embedderVersion, index: { m: this.config.index.m, efConstruction: this.config.index.efConstruction } };
    this.bootReport = await this.build();
    this.ready = true;
    this.lastSnapshotAt = Date.now();
    if (this.bootReport.source === 'postgres' && this.snapshotsEnabled) this.startSnapshot();
    await this.poll();
    this.pollTimer = setInterval(() => void this.poll(), this.config.index.pollIntervalMs).unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.pollTimer);
    await this.polling;
    await this.subscription?.close();
    if (!this.ready) return;
    await this.snapshotting;
    await this.serially(async () => undefined);
    if (this.snapshotsEnabled && this.changesSinceSnapshot > 0) await this.writeSnapshot();
    this.index.close();
  }

  get isReady(): boolean {
    return this.ready;
  }

  get size(): number {
    return this.index?.size ?? 0;
  }

  get modelVersionId(): string {
    return this.analysis.embedderId;
  }

  /** Id of the last outbox change the index reflects. */
  get appliedChangeId(): number {
    return this.watermark;
  }

  /** How the index was built at boot (undefined before it is ready). */
  get boot(): IndexBoot | undefined {
    return this.bootReport;
  }

  /**
   * Returns once the index reflects change `changeId` (a write of this process that has committed;
   * null: nothing to wait for). Never throws: the write is durable either way, and should Postgres
   * fail to answer now, the next poll applies it.
   */
  async catchUp(changeId: number | null): Promise<void> {
    try {
      while (changeId !== null && this.watermark < changeId) await this.applyCommitted();
    } catch (error) {
      this.logger.warn(`Index catch-up to change ${changeId} failed, left to the next poll: ${(error as Error).message}`);
    }
  }

  /** Nearest identities of one gallery, each represented by its best face, best first. */
  async searchIdentities(galleryId: string, vector: Float32Array, k: number): Promise<FaceHit[]> {
    return this.index.searchGroups(vector, k, galleryId, (label) => this.owners.get(label)!.identityId).map((hit) => {
      const { identityId, faceId } = this.owners.get(hit.label)!;
      return { ...hit, identityId, faceId };
    });
  }

  /** Writes a snapshot now (as the schedule would), resolving when it is in place. */
  async snapshotNow(): Promise<void> {
    await this.snapshotting;
    await this.writeSnapshot();
  }

  private get snapshotsEnabled(): boolean {
    return this.config.index.snapshots.intervalMs > 0;
  }

  private get hnswOptions(): HnswOptions {
    const { m, efConstruction, efSearch, exactSearchMaxFaces, compactDeletedFraction } = this.config.index;
    return {
      dimension: this.analysis.dimension, m, efConstruction, efSearch, exactSearchMaxSize: exactSearchMaxFaces, compactDeletedFraction,
      onCompaction: ({ partition, live, dropped, ms, error }) => {
        if (error) this.logger.error(`Index compaction of gallery ${partition} failed, its graph is kept: ${error.message}`);
        else this.logger.log(`Index gallery ${partition} compacted in ${Math.round(ms)} ms: ${live} faces, ${dropped} removed slots dropped`);
      },
    };
  }

  /** The index from the newest usable snapshot, or else from Postgres. */
  private async build(): Promise<IndexBoot> {
    const started = performance.now();
    const report = (source: IndexBoot['source'], replayedChanges: number, snapshotRejected?: string): IndexBoot => ({
      source, ms: Math.round(performance.now() - started), faces: this.index.size, replayedChanges, snapshotRejected,
    });
    if (!this.snapshotsEnabled) return report('postgres', await this.rebuild(), 'snapshots are off (INDEX_SNAPSHOT_INTERVAL_SECONDS=0)');
    try {
      return report('snapshot', await this.loadSnapshot());
    } catch (error) {
      const reason = (error as Error).message;
      this.logger.warn(`Index snapshot not used: ${reason}; rebuilding from Postgres`);
      return report('postgres', await this.rebuild(), reason);
    }
  }

  /**
   * Loads the newest snapshot, replays the changes after its watermark and checks the result against
   * Postgres, all in one consistent read so that counts and samples see exactly the changes replayed.
   * Returns how many changes were replayed; throws, saying why, when the snapshot cannot be used.
   */
  private async loadSnapshot(): Promise<number> {
    const started = performance.now();
    const snapshot = await this.snapshots.loadNewest(this.identity, this.hnswOptions);
    this.index = snapshot.index;
    this.owners = snapshot.owners;
    this.watermark = snapshot.watermark;
    const loadedMs = performance.now() - started;
    const replayed = await this.changes.consistentRead(async (reader) => {
      if ((await reader.outboxState()).prunedThrough > snapshot.watermark) {
        throw new Error(`${snapshot.name} is older than the outbox retention (INDEX_CHANGES_RETENTION_DAYS) keeps changes for`);
      }
      const count = await this.applyChanges(reader);
      const disagreement = await this.disagreementWithPostgres(reader);
      if (disagreement) throw new Error(`${snapshot.name} disagrees with Postgres after replaying ${count} changes: ${disagreement}`);
      return count;
    });
    this.changesSinceSnapshot = replayed;
    this.logger.log(
      `Index ${this.modelVersionId}: ${this.index.size} faces from ${snapshot.name} (read in ${Math.round(loadedMs)} ms), ` +
        `${replayed} later changes replayed and checked against Postgres in ${Math.round(performance.now() - started)} ms`,
    );
    return replayed;
  }

  /** Counts, then a sample of the index's faces looked up in Postgres and one of Postgres's embeddings looked up in the index. */
  private async disagreementWithPostgres(reader: IndexSourceReader): Promise<string | null> {
    const model = this.modelVersionId;
    const total = await reader.countEmbeddings(model);
    if (total !== this.index.size) return `it holds ${this.index.size} faces, Postgres ${total}`;
    const size = this.config.index.snapshots.verifySample;
    const fromIndex = sampleOf(this.owners.keys(), size);
    const stored = new Map((await reader.embeddings(fromIndex, model)).map((row) => [row.label, row]));
    for (const label of fromIndex) {
      const row = stored.get(label);
      const owner = this.owners.get(label)!;
      if (!row) return `face ${label} is not in Postgres`;
      if (row.galleryId !== owner.galleryId || row.identityId !== owner.identityId || row.faceId !== owner.faceId) return `face ${label} has other owners in Postgres`;
      const vector = this.index.vector(label);
      if (row.vector.some((value, i) => value !== vector[i])) return `face ${label} has another vector in Postgres`;
    }
    for (const label of await reader.sampleLabels(model, size, total)) {
      if (!this.index.has(label)) return `embedding ${label} of Postgres is missing`;
    }
    return null;
  }

  /**
   * Rebuilds the index from every stored embedding of the active model; returns the changes applied
   * after the stream. The watermark is read first: changes after it may or may not be in the rows
   * streamed, and replaying them is idempotent.
   */
  private async rebuild(): Promise<number> {
    const started = performance.now();
    const model = this.modelVersionId;
    const watermark = await this.changes.latestChangeId();
    this.index?.close();
    this.index = new PartitionedHnswIndex(this.hnswOptions);
    this.owners = new Map();
    for await (const batch of this.embeddings.streamForModel(model)) {
      for (const row of batch) this.add(row);
    }
    this.watermark = watermark;
    const replayed = await this.applyChanges(this.changes);
    this.changesSinceSnapshot = 0;
    this.logger.log(`Index ${model}: ${this.index.size} faces loaded from Postgres in ${Math.round(performance.now() - started)} ms`);
    return replayed;
  }

  /** Runs `work` after everything queued before it, alone. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.serial.then(work);
    this.serial = run.catch(() => undefined);
    return run;
  }

  /** Applies every change committed so far; callers arriving while one is queued share it. */
  private applyCommitted(): Promise<void> {
    this.queuedCatchUp ??= this.serially(async () => {
      // Started: changes committed from now on need another run.
      this.queuedCatchUp = undefined;
      this.changesSinceSnapshot += await this.applyChanges(this.changes);
    });
    return this.queuedCatchUp;
  }

  /** Applies the changes after the watermark, in order, until none is left; returns how many. */
  private async applyChanges(reader: IndexSourceReader): Promise<number> {
    let applied = 0;
    for (;;) {
      const batch = await reader.changesAfter(this.watermark, CHANGE_BATCH, this.modelVersionId);
      for (const change of batch) this.apply(change);
      applied += batch.length;
      if (batch.length > 0) this.watermark = batch[batch.length - 1].id;
      if (batch.length < CHANGE_BATCH) return applied;
    }
  }

  private apply(change: IndexChange): void {
    if (change.modelVersionId !== this.modelVersionId) return;
    if (change.op === 'remove') {
      if (this.index.remove(change.label)) this.owners.delete(change.label);
    } else if (change.embedding && !this.index.has(change.label)) {
      this.add(change.embedding);
    }
  }

  private add(row: IndexedEmbedding): void {
    if (row.vector.length !== this.index.dimension) {
      throw new DomainException(
        ErrorCode.DIMENSION_MISMATCH,
        `Embedding ${row.label} has ${row.vector.length} dimensions; model ${this.modelVersionId} has ${this.index.dimension}`,
      );
    }
    this.index.add(row.label, row.vector, row.galleryId);
    this.owners.set(row.label, { galleryId: row.galleryId, identityId: row.identityId, faceId: row.faceId });
  }

  /** One poll at a time (a slow one is not overtaken by the timer); none once stopping. */
  private poll(): Promise<void> | undefined {
    if (!this.stopping) this.polling ??= this.followChanges().finally(() => (this.polling = undefined));
    return this.polling;
  }

  /**
   * Follows other processes: (re)subscribes to change notifications when not subscribed, then applies
   * whatever committed since the last run, so a lost notification only waits for the next poll.
   * Starts a snapshot when one is due.
   */
  private async followChanges(): Promise<void> {
    try {
      if (!this.subscription?.open) {
        this.subscription = await this.listener.subscribe((changeId) => {
          if (changeId > this.watermark) void this.catchUp(changeId);
        });
      }
      await this.applyCommitted();
      if (this.lastPollError) this.logger.log('Following index changes again');
      this.lastPollError = undefined;
    } catch (error) {
      const message = (error as Error).message;
      // Once per distinct failure: an outage would otherwise log every poll.
      if (message !== this.lastPollError) this.logger.warn(`Following index changes failed, retrying every poll: ${message}`);
      this.lastPollError = message;
    }
    const { intervalMs, everyChanges } = this.config.index.snapshots;
    const due = this.changesSinceSnapshot >= everyChanges || (this.changesSinceSnapshot > 0 && Date.now() - this.lastSnapshotAt >= intervalMs);
    if (this.snapshotsEnabled && due) this.startSnapshot();
  }

  /** A snapshot in the background, unless one is being written. */
  private startSnapshot(): void {
    this.snapshotting ??= this.writeSnapshot().finally(() => (this.snapshotting = undefined));
  }

  /**
   * Writes a snapshot. The index is held still (writers wait in `catchUp`) only while the graph is
   * saved; scrubbing, hashing and syncing the files happen after. Failures are logged, not thrown:
   * the next boot rebuilds from Postgres at worst.
   */
  private async writeSnapshot(): Promise<void> {
    const started = performance.now();
    let heldMs = 0;
    let captured = 0;
    let writer: SnapshotWriter | undefined;
    try {
      writer = await this.snapshots.start();
      await this.serially(async () => {
        const held = performance.now();
        await writer!.capture(this.index, this.owners, this.watermark);
        captured = this.changesSinceSnapshot;
        this.changesSinceSnapshot = 0;
        heldMs = performance.now() - held;
      });
      const written = await writer.commit(this.identity);
      this.lastSnapshotAt = Date.now();
      this.logger.log(
        `Index snapshot ${written.name}: ${written.faces} faces, ${(written.bytes / 1e6).toFixed(1)} MB (${written.deletedSlots} removed slots scrubbed) ` +
          `in ${Math.round(performance.now() - started)} ms, index held ${Math.round(heldMs)} ms`,
      );
    } catch (error) {
      this.changesSinceSnapshot += captured;
      await writer?.abandon();
      this.logger.error(`Index snapshot failed: ${(error as Error).message}`);
    }
  }
}

/** Up to `size` items of `items`, each equally likely (reservoir sampling). */
function sampleOf<T>(items: Iterable<T>, size: number): T[] {
  const chosen: T[] = [];
  let seen = 0;
  for (const item of items) {
    if (chosen.length < size) chosen.push(item);
    else {
      const slot = Math.floor(Math.random() * (seen + 1));
      if (slot < size) chosen[slot] = item;
    }
    seen++;
  }
  return chosen;
}
