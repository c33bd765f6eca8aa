import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DomainException, ErrorCode } from '../../common/src/index.js';
import { AppConfig } from '../../config/src/index.js';
import {
  EmbeddingRepository, IndexChange, IndexChangeListener, IndexChangeRepository, IndexChangeSubscription, IndexedEmbedding, IndexSourceReader,
} from '../../database/src/index.js';
import { PartitionedHnswIndex, SearchHit } from '../../vector-index/src/index.js';
import { FaceAnalysisService } from './face-analysis.service.js';

interface LabelOwner {
  identityId: string;
  faceId: string;
}

export interface FaceHit extends SearchHit, LabelOwner {}

/** Outbox changes read per round trip; the event loop serves requests between batches. */
const CHANGE_BATCH = 1000;

/**
 * The in-memory HNSW index of the active embedding space, partitioned by gallery: this process's
 * replica. Postgres is the source of truth: the index is rebuilt from it at boot, then follows the
 * `index_changes` outbox that every enrollment and deletion writes in its own transaction, whichever
 * process made it. `watermark` is the id of the last change applied; changes are applied in id
 * order, one batch at a time, and idempotently (an add already present or a removal already gone
 * does nothing), so replaying a change twice is harmless. This process's own writes go through the
 * same path: the writer waits for `catchUp` before answering, so a client reads its own writes.
 */
@Injectable()
export class FaceIndexService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(FaceIndexService.name);
  private index: PartitionedHnswIndex;
  private readonly owners = new Map<number, LabelOwner>();
  private ready = false;
  private watermark = 0;
  /** Everything that changes the index runs here, one at a time. */
  private serial: Promise<unknown> = Promise.resolve();
  /** A catch-up queued but not started yet, which later callers join. */
  private queuedCatchUp?: Promise<void>;
  private subscription?: IndexChangeSubscription;
  private pollTimer?: NodeJS.Timeout;
  private polling = false;
  private stopping = false;
  private lastPollError?: string;

  constructor(
    private readonly config: AppConfig,
    private readonly analysis: FaceAnalysisService,
    private readonly embeddings: EmbeddingRepository,
    private readonly changes: IndexChangeRepository,
    private readonly listener: IndexChangeListener,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.rebuild();
    this.ready = true;
    await this.poll();
    this.pollTimer = setInterval(() => void this.poll(), this.config.index.pollIntervalMs).unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.pollTimer);
    await this.subscription?.close();
    await this.serially(async () => undefined);
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
  searchIdentities(galleryId: string, vector: Float32Array, k: number): FaceHit[] {
    return this.index
      .searchGroups(vector, k, galleryId, (label) => this.owners.get(label)!.identityId)
      .map((hit) => ({ ...hit, ...this.owners.get(hit.label)! }));
  }

  /**
   * Rebuilds the index from every stored embedding of the active model. The watermark is read first:
   * changes after it may or may not be in the rows streamed, and replaying them is idempotent.
   */
  private async rebuild(): Promise<void> {
    const started = performance.now();
    const model = this.modelVersionId;
    const watermark = await this.changes.latestChangeId();
    const count = await this.changes.countEmbeddings(model);
    this.index = new PartitionedHnswIndex({
      dimension: this.analysis.dimension,
      m: this.config.index.m,
      efConstruction: this.config.index.efConstruction,
      efSearch: this.config.index.efSearch,
      exactSearchMaxSize: this.config.index.exactSearchMaxFaces,
      initialCapacity: Math.max(1024, Math.ceil(count * 1.25)),
    });
    this.owners.clear();
    for await (const batch of this.embeddings.streamForModel(model)) {
      for (const row of batch) this.add(row);
    }
    this.watermark = watermark;
    await this.applyChanges(this.changes);
    this.logger.log(`Index ${model}: ${this.index.size} faces loaded from Postgres in ${Math.round(performance.now() - started)} ms`);
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
      await this.applyChanges(this.changes);
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
    this.owners.set(row.label, { identityId: row.identityId, faceId: row.faceId });
  }

  /**
   * Follows other processes: (re)subscribes to change notifications when not subscribed, then applies
   * whatever committed since the last run, so a lost notification only waits for the next poll.
   */
  private async poll(): Promise<void> {
    if (this.polling || this.stopping) return;
    this.polling = true;
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
    } finally {
      this.polling = false;
    }
  }
}
