import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../config/src/index.js';
import {
  EmbeddingRepository, IndexChangeRepository, PgvectorFaceStore, PgvectorIndexIdentity, PgvectorIndexState,
} from '../../database/src/index.js';
import { FaceAnalysisService } from './face-analysis.service.js';
import { FaceHit, FaceIndex } from './face-index.port.js';

/** How the pgvector index came to be at boot. */
export interface PgvectorIndexBoot {
  /** `store`: the index already in the store was caught up; `postgres`: it was rebuilt from every embedding. */
  source: 'store' | 'postgres';
  /** Why it was rebuilt. */
  rebuildReason?: string;
  ms: number;
  faces: number;
  /** Outbox changes applied after the store's (or the rebuild's) watermark. */
  replayedChanges: number;
}

/** Outbox changes applied per store transaction. */
const CHANGE_BATCH = 1000;

/**
 * The face index shared in Postgres + pgvector (INDEX_BACKEND=pgvector; the store is
 * PgvectorFaceStore). It follows the `index_changes` outbox as the in-memory replicas do, but the
 * applied state lives in the store: each batch of changes and the watermark commit together, under a
 * per-model lock, so any number of API processes can share one store and whichever applies a change
 * first applies it for all (the others find it done). A process's own writes are applied before it
 * answers (`catchUp`); other processes' writes (and workers') within INDEX_POLL_INTERVAL_MS, by polling.
 *
 * At boot the store's index of the active model is rebuilt from every embedding when it is missing
 * or was built for another database, dimension or graph setting, or when its watermark is past the
 * outbox's retention (or ahead of the outbox: a restored database); otherwise only the changes after
 * its watermark are applied.
 */
@Injectable()
export class PgvectorFaceIndexService implements FaceIndex, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(PgvectorFaceIndexService.name);
  private ready = false;
  private state?: PgvectorIndexState;
  private bootReport?: PgvectorIndexBoot;
  /** The drain in progress, which callers arriving meanwhile join (they loop if it started too early for them). */
  private applying?: Promise<number>;
  private pollTimer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private stopping = false;
  private lastPollError?: string;

  constructor(
    private readonly config: AppConfig,
    private readonly analysis: FaceAnalysisService,
    private readonly store: PgvectorFaceStore,
    private readonly embeddings: EmbeddingRepository,
    private readonly changes: IndexChangeRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const started = performance.now();
    const { pgvectorVersion } = await this.store.open();
    const { databaseId } = await this.changes.outboxState();
    const model = this.modelVersionId;
    const identity: PgvectorIndexIdentity = {
      modelVersionId: model, dimension: this.analysis.dimension, databaseId, m: this.config.index.m, efConstruction: this.config.index.efConstruction,
    };
    const rebuildReason = await this.store.rebuildIf(
      identity,
      (state) => this.reasonToRebuild(identity, state),
      async () => ({ watermark: await this.changes.latestChangeId(), batches: this.embeddings.streamForModel(model) }),
    );
    const replayedChanges = await this.applyCommitted();
    this.bootReport = {
      source: rebuildReason ? 'postgres' : 'store', rebuildReason: rebuildReason ?? undefined, ms: Math.round(performance.now() - started), faces: this.size, replayedChanges,
    };
    this.logger.log(
      `Index ${model} in pgvector ${pgvectorVersion}: ${this.size} faces, ` +
        `${rebuildReason ? `rebuilt from Postgres (${rebuildReason})` : 'kept from the store'}, ${replayedChanges} changes applied, in ${this.bootReport.ms} ms`,
    );
    this.ready = true;
    this.pollTimer = setInterval(() => void this.poll(), this.config.index.pollIntervalMs).unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.pollTimer);
    await this.polling;
    await this.applying?.catch(() => undefined);
    await this.store.close();
  }

  get isReady(): boolean {
    return this.ready;
  }

  get size(): number {
    return this.state?.faces ?? 0;
  }

  get modelVersionId(): string {
    return this.analysis.embedderId;
  }

  /** Id of the last outbox change the store reflects, as this process last saw it. */
  get appliedChangeId(): number {
    return this.state?.watermark ?? 0;
  }

  /** How the index was built at boot (undefined before it is ready). */
  get boot(): PgvectorIndexBoot | undefined {
    return this.bootReport;
  }

  async catchUp(changeId: number | null): Promise<void> {
    try {
      while (changeId !== null && this.appliedChangeId < changeId) await this.applyCommitted();
    } catch (error) {
      this.logger.warn(`Index catch-up to change ${changeId} failed, left to the next poll: ${(error as Error).message}`);
    }
  }

  searchIdentities(galleryId: string, vector: Float32Array, k: number): Promise<FaceHit[]> {
    return this.store.searchIdentities(this.modelVersionId, this.analysis.dimension, galleryId, vector, k);
  }

  private async reasonToRebuild(identity: PgvectorIndexIdentity, state: PgvectorIndexState | null): Promise<string | null> {
    if (!state) return `the store holds no index of ${identity.modelVersionId}`;
    for (const key of ['databaseId', 'dimension', 'm', 'efConstruction'] as const) {
      if (state[key] !== identity[key]) return `it was built with ${key} ${state[key]}, now ${identity[key]}`;
    }
    const { prunedThrough } = await this.changes.outboxState();
    if (prunedThrough > state.watermark) return 'its watermark is older than the outbox retention (INDEX_CHANGES_RETENTION_DAYS) keeps changes for';
    const latest = await this.changes.latestChangeId();
    if (state.watermark > latest) return `its watermark ${state.watermark} is ahead of the outbox (${latest}): was the database restored?`;
    return null;
  }

  /** Applies every change committed so far; returns how many were read. Callers arriving meanwhile share the run. */
  private applyCommitted(): Promise<number> {
    this.applying ??= this.drain().finally(() => (this.applying = undefined));
    return this.applying;
  }

  private async drain(): Promise<number> {
    const model = this.modelVersionId;
    let total = 0;
    for (;;) {
      const { read, state } = await this.store.applyNext(model, (watermark) => this.changes.changesAfter(watermark, CHANGE_BATCH, model));
      this.state = state;
      total += read;
      if (read < CHANGE_BATCH) return total;
    }
  }

  /** One poll at a time; none once stopping. Only opens a store transaction when the outbox has moved. */
  private poll(): Promise<void> | undefined {
    if (!this.stopping) {
      this.polling ??= (async () => {
        try {
          if ((await this.changes.latestChangeId()) > this.appliedChangeId) await this.applyCommitted();
          if (this.lastPollError) this.logger.log('Following index changes again');
          this.lastPollError = undefined;
        } catch (error) {
          const message = (error as Error).message;
          // Once per distinct failure: an outage would otherwise log every poll.
          if (message !== this.lastPollError) this.logger.warn(`Following index changes failed, retrying every poll: ${message}`);
          this.lastPollError = message;
        }
      })().finally(() => (this.polling = undefined));
    }
    return this.polling;
  }
}
