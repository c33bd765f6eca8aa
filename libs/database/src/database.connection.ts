import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/src/index.js';
import { MIGRATIONS } from '../../../migrations/index.js';
import { RunningPostgres, startEmbeddedPostgres } from './embedded-postgres.js';
import { ENTITIES } from './entities/index.js';

/** Session-level advisory lock key that serialises schema migrations across processes. */
const MIGRATION_LOCK_KEY = 4_242_001;

export function createDataSource(url: string): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    // Off: failed queries would print their parameters, which can be embeddings. Errors surface as exceptions.
    logging: false,
    extra: { max: 10 },
  });
}

/** Applies pending migrations while holding an advisory lock, so concurrent boots migrate once. */
export async function runMigrationsLocked(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}

/**
 * Owns the process's Postgres: the configured DATABASE_URL, or an embedded server under DATA_DIR.
 * Connects, migrates under a lock, and closes both on shutdown.
 */
@Injectable()
export class DatabaseConnection implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseConnection.name);
  private embedded?: RunningPostgres;
  dataSource: DataSource;
  /** The connection string in use (known once open), for connections outside the pool. */
  url: string;

  constructor(private readonly config: AppConfig) {}

  async open(): Promise<DataSource> {
    let url = this.config.database.url;
    if (!url) {
      const { embeddedDataDir: dataDir, embeddedPort: port } = this.config.database;
      const started = performance.now();
      this.embedded = await startEmbeddedPostgres({ dataDir, port, log: (m) => this.logger.warn(m) });
      this.logger.log(`Embedded Postgres on 127.0.0.1:${port}, data in ${dataDir} (${Math.round(performance.now() - started)} ms)`);
      url = this.embedded.url;
    }
    this.url = url;
    this.dataSource = await createDataSource(url).initialize();
    const applied = await runMigrationsLocked(this.dataSource);
    if (applied.length) this.logger.log(`Applied migrations: ${applied.join(', ')}`);
    return this.dataSource;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
    await this.embedded?.stop();
    this.embedded = undefined;
  }
}
