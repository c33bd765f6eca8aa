import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import PgBoss from 'pg-boss';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../../../config/src/index.js';
import { DatabaseConnection } from '../database.connection.js';
import { QUEUES } from './queues.js';

/** pg-boss keeps its tables in this schema of the app's database. */
export const JOB_SCHEMA = 'pgboss';

/** A queue and where its jobs go once they fail for good (retries spent, or expired every time). */
export interface QueueDefinition {
  name: string;
  deadLetter?: string;
}

export interface Job<T> {
  id: string;
  data: T;
}

export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

/** Jobs of one queue per state (archived ones, kept by pg-boss after 12 hours, not counted). */
export type QueueStatus = Record<JobState, number>;

const JOB_STATES: JobState[] = ['created', 'retry', 'active', 'completed', 'cancelled', 'failed'];

/**
 * The job queue: pg-boss on the app's own Postgres, so any number of processes on any machines that
 * reach it share the work, and a job can be enqueued in the same transaction as the rows it refers
 * to (which is why it lives with the database). At least once: a job whose worker dies is retried
 * once it expires, so handlers must be idempotent.
 */
@Injectable()
export class JobQueue implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobQueue.name);
  private boss: PgBoss;

  constructor(
    private readonly config: AppConfig,
    private readonly connection: DatabaseConnection,
    // Injected so that the connection is open (and migrated) before the queue starts.
    private readonly dataSource: DataSource,
  ) {}

  async onModuleInit(): Promise<void> {
    this.boss = new PgBoss({
      connectionString: this.connection.url,
      schema: JOB_SCHEMA,
      application_name: 'facerec-jobs',
      // Fetches, completions and the maintenance sweep are short queries: a few connections serve every loop.
      max: this.config.worker.concurrency + 2,
      schedule: false,
      supervise: true,
      maintenanceIntervalSeconds: this.config.jobs.maintenanceIntervalSeconds,
    });
    this.boss.on('error', (error) => this.logger.error(`Job queue: ${error.message}`));
    await this.boss.start();
    await this.createQueues();
  }

  /**
   * Creates the missing queues. pg-boss's create_queue adds a partition to its job table, and two
   * processes doing that at once (replicas and workers booting together) deadlock in Postgres, so
   * creation is serialised across processes by a session advisory lock.
   */
  private async createQueues(): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query(`SELECT pg_advisory_lock(hashtext('${JOB_SCHEMA}.create-queues'))`);
      for (const queue of QUEUES) {
        if (!(await this.boss.getQueue(queue.name))) await this.boss.createQueue(queue.name, queue);
      }
    } finally {
      await runner.query(`SELECT pg_advisory_unlock(hashtext('${JOB_SCHEMA}.create-queues'))`).catch(() => undefined);
      await runner.release();
    }
  }

  /** Lets the jobs in hand finish (up to their expiry), then stops fetching and closes the queue's connections. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.boss?.stop({ graceful: true, wait: true, timeout: this.config.jobs.expireSeconds * 1000 });
  }

  /**
   * Enqueues one job per payload inside the caller's transaction: the jobs exist exactly when the
   * rows they refer to do. Retries and expiry come from this process's JOB_* settings.
   */
  async send(queue: string, payloads: object[], within: EntityManager): Promise<void> {
    const { retryLimit, retryDelaySeconds, expireSeconds } = this.config.jobs;
    await this.boss.insert(
      payloads.map((data) => ({ name: queue, data, retryLimit, retryDelay: retryDelaySeconds, expireInSeconds: expireSeconds })),
      { db: { executeSql: async (text: string, values: unknown[]) => ({ rows: await within.query(text, values) }) } },
    );
  }

  /**
   * Runs `handler` on the queue's jobs until shutdown: WORKER_CONCURRENCY loops, each fetching up to
   * WORKER_BATCH_SIZE jobs. A job whose handler throws is retried after JOB_RETRY_DELAY_SECONDS,
   * JOB_RETRY_LIMIT times, then goes to the queue's dead letter; its batch mates are unaffected.
   */
  async work<T>(queue: string, handler: (job: Job<T>) => Promise<void>): Promise<void> {
    const { concurrency, batchSize, pollIntervalSeconds } = this.config.worker;
    for (let i = 0; i < concurrency; i++) {
      let loop: string | undefined;
      loop = await this.boss.work<T>(queue, { batchSize, pollingIntervalSeconds: pollIntervalSeconds }, async (jobs) => {
        for (const job of jobs) {
          try {
            await handler(job);
          } catch (error) {
            // pg-boss then completes the fetch's other jobs (it completes only those still active).
            this.logger.warn(`Job ${job.id} on ${queue} failed: ${(error as Error).message}`);
            await this.boss.fail(queue, job.id, { message: (error as Error).message });
          }
        }
        // pg-boss waits out the polling interval even after a fetch that found jobs; where there was
        // one there are likely more, so fetch again at once. Only an idle loop waits.
        if (loop) this.boss.notifyWorker(loop);
      });
    }
  }

  async getStatus(queue: string): Promise<QueueStatus> {
    const rows: { state: JobState; count: number }[] = await this.dataSource.query(
      `SELECT state, count(*)::int AS count FROM ${JOB_SCHEMA}.job WHERE name = $1 GROUP BY state`,
      [queue],
    );
    const status = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as QueueStatus;
    for (const row of rows) status[row.state] = row.count;
    return status;
  }
}
