// Hostile-input proof: ≥ 1,000 generated and mutated images (bench/hostile-images.ts) through the
// GraphQL API of a real server process, twice.
//
//   npm run -s proof:fuzz -- [--cases 1000] [--seed 1] [--batch 4] [--settle 10] [--json]
// (-s keeps npm's own banner off stdout, so that with --json stdout is exactly the JSON.)
//
// Checks, exiting non-zero when any fails:
//  - every answer is GraphQL-shaped and correct, or an error whose extensions.code the case allows
//    (never INTERNAL, a missing code, a non-JSON body or a 5xx);
//  - the server stays up: GET /health answers 200 after every batch of --batch concurrent requests;
//  - only successful enrollments write rows (row counts after every batch);
//  - memory: the server's RSS (VmRSS) after warm-up, its peak, after the run and a --settle pause,
//    and after a second pass over the same cases: the second pass must not grow it further by more
//    than LEAK_TOLERANCE_MIB (a leak grows with every pass; warm caches and allocator pools do not).
//    What the first pass leaves above the baseline is mostly glibc arenas of libvips threads:
//    MALLOC_ARENA_MAX=2 in the server's environment shrinks it (it passes through).
//
// Starts `node dist/apps/api/src/main.js` with a fresh DATA_DIR (embedded Postgres) on free ports,
// or on DATABASE_URL when set. API_KEY, when set, is sent as a bearer token. The other server
// variables (MAX_UPLOAD_BYTES, MAX_IMAGE_PIXELS…) pass through, and the cases follow them.
// Progress goes to stderr; stdout carries the table, or with --json one JSON object.
// Env: DATASET_DIR (default ../shared/datasets), MODEL_DIR (default ../shared/models).
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../libs/config/src/index.js';
import { info, parseIntegerFlags, round } from './bench.util.js';
import { generateHostileCases, HostileCase } from './hostile-images.js';
import { CaseResult, HostileTarget, operationFor, prepareTarget, sendCase } from './hostile-requests.js';

const DEFAULTS = {
  /** Hostile cases per pass. */
  cases: 1000,
  /** Seed of the case generator. */
  seed: 1,
  /** Requests in flight together; health and row counts are checked after each batch. */
  batch: 4,
  /** Seconds of quiet before each memory reading after a pass. */
  settle: 10,
};
/**
 * How much the second pass may add to the RSS the first one left: allocator noise reaches tens of
 * MiB either way between readings; a leak of 64 KiB per request over 1,000 cases exceeds it.
 */
const LEAK_TOLERANCE_MIB = 64;
const MAIN = resolve('dist/apps/api/src/main.js');
const DATASET_DIR = resolve(process.env.DATASET_DIR ?? '../shared/datasets');

interface Failure extends Partial<CaseResult> {
  pass: number;
  failure: string;
}

interface RowCounts {
  galleries: number;
  identities: number;
  faces: number;
  embeddings: number;
}

// ---- The server process ----------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().once('error', fail).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

class ServerProcess {
  /** The last lines the server printed, for a crash report. */
  private readonly lines: string[] = [];
  readonly errorLines: string[] = [];
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined;

  constructor(readonly child: ChildProcess) {
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        this.lines.push(line);
        if (this.lines.length > 200) this.lines.shift();
        if (/\bERROR\b/.test(line)) this.errorLines.push(line);
      }
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    this.exited = new Promise((done) => child.once('exit', (code, signal) => done((this.exitCode = code ?? (signal ? 128 : null)))));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  tail(n = 40): string {
    return this.lines.slice(-n).join('\n');
  }
}

function startServer(env: NodeJS.ProcessEnv): ServerProcess {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (\`npm run proof:fuzz\` does).`);
  return new ServerProcess(spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

async function healthy(baseUrl: string, headers: Record<string, string>): Promise<boolean> {
  try {
    return (await fetch(`${baseUrl}/health`, { headers, signal: AbortSignal.timeout(10_000) })).status === 200;
  } catch {
    return false;
  }
}

async function waitForHealth(baseUrl: string, headers: Record<string, string>, server: ServerProcess, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!server.alive) throw new Error(`the server exited during start-up:\n${server.tail()}`);
    if (await healthy(baseUrl, headers)) return;
    await sleep(250);
  }
  throw new Error(`no /health within ${timeoutMs} ms:\n${server.tail()}`);
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

// ---- Memory ----------------------------------------------------------------------------------------

/** A field of /proc/<pid>/status in MiB (VmRSS: resident now; VmHWM: resident peak). */
function procMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return round(Number(match[1]) / 1024, 1);
}

/** Restarts the kernel's peak (VmHWM) from now, so the peak is the run's and not the boot's. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

// ---- The run ---------------------------------------------------------------------------------------

async function rowCounts(db: pg.Client): Promise<RowCounts> {
  const { rows } = await db.query(`
    SELECT (SELECT count(*) FROM galleries)::int AS galleries, (SELECT count(*) FROM identities)::int AS identities,
           (SELECT count(*) FROM faces)::int AS faces, (SELECT count(*) FROM embeddings)::int AS embeddings`);
  return rows[0] as RowCounts;
}

/** Photos of the known people through every operation and both transports, so that caches and pools exist before the baseline. */
async function warmUp(target: HostileTarget, cases: HostileCase[]): Promise<void> {
  const photos = cases.filter((c) => c.expect.answer === 'person').slice(0, 10);
  for (const [i, photo] of photos.entries()) {
    const result = await sendCase(target, photo, operationFor(i), `warm-up-${i}`);
    if (result.failure) throw new Error(`warm-up request ${photo.name} failed: ${result.failure}`);
  }
}

interface PassReport {
  results: CaseResult[];
  failures: Failure[];
  crashed: boolean;
  healthChecks: number;
}

async function runPass(pass: number, cases: HostileCase[], target: HostileTarget, server: ServerProcess, db: pg.Client, batch: number): Promise<PassReport> {
  const report: PassReport = { results: [], failures: [], crashed: false, healthChecks: 0 };
  const started = performance.now();
  for (let from = 0; from < cases.length; from += batch) {
    const indices = Array.from({ length: Math.min(batch, cases.length - from) }, (_, k) => from + k);
    const before = await rowCounts(db);
    const results = await Promise.all(indices.map((i) => sendCase(target, cases[i], operationFor(i), `fuzz-${pass}-${i}`)));
    report.results.push(...results);
    for (const r of results) if (r.failure) report.failures.push({ pass, ...r, failure: r.failure });
    const batchNames = results.map((r) => r.name).join(', ');
    if (!server.alive) {
      report.crashed = true;
      report.failures.push({ pass, failure: `server exited (${server.exitCode}) during the batch ${batchNames}:\n${server.tail()}` });
      return report;
    }
    report.healthChecks++;
    if (!(await healthy(target.baseUrl, target.headers))) report.failures.push({ pass, failure: `GET /health not 200 after the batch ${batchNames}` });
    const enrolled = results.filter((r) => r.enrolled).length;
    const after = await rowCounts(db);
    const expected = { galleries: before.galleries, identities: before.identities + enrolled, faces: before.faces + enrolled, embeddings: before.embeddings + enrolled };
    if (JSON.stringify(after) !== JSON.stringify(expected)) {
      report.failures.push({ pass, failure: `rows ${JSON.stringify(before)} → ${JSON.stringify(after)} after ${enrolled} enrollment(s) in the batch ${batchNames}` });
    }
    if ((from / batch) % 25 === 0) info(`pass ${pass}: ${from + indices.length}/${cases.length} cases, ${report.failures.length} failure(s), ${round((performance.now() - started) / 1000, 1)} s`);
  }
  return report;
}

const countBy = <T>(items: T[], key: (item: T) => string): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
};

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const json = argv.includes('--json');
  const flags = parseIntegerFlags(argv.filter((a) => a !== '--json'), DEFAULTS);
  const runStarted = performance.now();
  const headers: Record<string, string> = process.env.API_KEY ? { authorization: `Bearer ${process.env.API_KEY}` } : {};

  const port = await freePort();
  const pgPort = await freePort();
  const external = process.env.DATABASE_URL;
  // Not mkdtemp: its 0700 directory would shut out the postgres user created when running as root.
  const dataDir = join(tmpdir(), `facerec-fuzz-${randomBytes(6).toString('hex')}`);
  if (!external) mkdirSync(dataDir, { mode: 0o755 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ...(external ? {} : { DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort) }),
  };
  const { limits } = loadConfig(env);
  const databaseUrl = external ?? `postgres://facerec:facerec-local@127.0.0.1:${pgPort}/facerec`; // libs/database embedded-postgres.ts

  info(`Generating ${flags.cases} hostile cases (seed ${flags.seed}, MAX_UPLOAD_BYTES=${limits.maxUploadBytes}, MAX_IMAGE_PIXELS=${limits.maxImagePixels})…`);
  const generationStarted = performance.now();
  const cases = await generateHostileCases({ count: flags.cases, seed: flags.seed, datasetDir: DATASET_DIR, limits: { maxUploadBytes: limits.maxUploadBytes, maxImagePixels: limits.maxImagePixels } });
  const generationSeconds = round((performance.now() - generationStarted) / 1000, 1);

  info(`Starting the server on port ${port} (${external ? 'DATABASE_URL' : `embedded Postgres in ${dataDir}`})…`);
  const server = startServer(env);
  const baseUrl = `http://127.0.0.1:${port}`;
  const db = new pg.Client({ connectionString: databaseUrl });
  const passes: PassReport[] = [];
  const rss: { baseline?: number; peak?: number; after?: number; afterSecondPass?: number } = {};
  let peakSince = 'baseline';
  try {
    await waitForHealth(baseUrl, headers, server);
    await db.connect();
    const target = await prepareTarget(baseUrl, headers, DATASET_DIR);
    await warmUp(target, cases);
    await sleep(2000);
    rss.baseline = procMiB(server.pid, 'VmRSS');
    if (!resetPeak(server.pid)) peakSince = 'boot';
    let sampledPeak = rss.baseline;
    const sampler = setInterval(() => {
      if (server.alive) sampledPeak = Math.max(sampledPeak, procMiB(server.pid, 'VmRSS'));
    }, 50);
    try {
      for (const pass of [1, 2]) {
        info(`Pass ${pass}: ${cases.length} cases, ${flags.batch} at a time…`);
        const report = await runPass(pass, cases, target, server, db, flags.batch);
        passes.push(report);
        if (report.crashed) break;
        await sleep(flags.settle * 1000);
        rss[pass === 1 ? 'after' : 'afterSecondPass'] = procMiB(server.pid, 'VmRSS');
        info(`Pass ${pass} done: RSS ${rss[pass === 1 ? 'after' : 'afterSecondPass']} MiB after ${flags.settle} s`);
      }
    } finally {
      clearInterval(sampler);
      rss.peak = server.alive ? Math.max(sampledPeak, procMiB(server.pid, 'VmHWM')) : sampledPeak;
    }
  } finally {
    await db.end().catch(() => undefined);
    if (server.alive) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    if (!external) rmSync(dataDir, { recursive: true, force: true });
  }

  const failures: Failure[] = passes.flatMap((p) => p.failures);
  if (server.errorLines.length) failures.push({ pass: 0, failure: `the server logged ${server.errorLines.length} error line(s), e.g. ${server.errorLines.slice(0, 3).join(' | ')}` });
  const secondPassGrowth = rss.after !== undefined && rss.afterSecondPass !== undefined ? round(rss.afterSecondPass - rss.after, 1) : undefined;
  if (secondPassGrowth !== undefined && secondPassGrowth > LEAK_TOLERANCE_MIB) {
    failures.push({ pass: 2, failure: `RSS grew by ${secondPassGrowth} MiB over the second pass (tolerance ${LEAK_TOLERANCE_MIB} MiB): a leak` });
  }
  const first = passes[0]?.results ?? [];
  const summary = {
    cases: cases.length,
    seed: flags.seed,
    batch: flags.batch,
    limits: { maxUploadBytes: limits.maxUploadBytes, maxImagePixels: limits.maxImagePixels },
    perFamily: countBy(cases, (c) => c.kind),
    perTransport: countBy(cases, (c) => c.transport),
    perOperation: countBy(first, (r) => r.operation),
    outcomes: countBy(first, (r) => r.outcome),
    outcomesPerFamily: Object.fromEntries(Object.entries(countBy(cases, (c) => c.kind)).map(([kind]) => [kind, countBy(first.filter((r) => r.kind === kind), (r) => r.outcome)])),
    requests: passes.reduce((n, p) => n + p.results.length, 0),
    healthChecks: passes.reduce((n, p) => n + p.healthChecks, 0),
    failures,
    crashes: passes.filter((p) => p.crashed).length,
    slowestRequests: passes.flatMap((p) => p.results).sort((a, b) => b.ms - a.ms).slice(0, 5).map((r) => ({ name: r.name, operation: r.operation, ms: r.ms })),
    rssBaselineMiB: rss.baseline,
    rssPeakMiB: rss.peak,
    rssPeakSince: peakSince,
    rssAfterMiB: rss.after,
    rssAfterSecondPassMiB: rss.afterSecondPass,
    secondPassGrowthMiB: secondPassGrowth,
    leakToleranceMiB: LEAK_TOLERANCE_MIB,
    generationSeconds,
    durationSeconds: round((performance.now() - runStarted) / 1000, 1),
  };
  process.stdout.write(json ? `${JSON.stringify(summary, null, 2)}\n` : table(summary));
  process.exitCode = failures.length || summary.crashes ? 1 : 0;
}

function table(s: {
  cases: number; seed: number; outcomesPerFamily: Record<string, Record<string, number>>; outcomes: Record<string, number>; failures: Failure[]; crashes: number;
  requests: number; healthChecks: number; rssBaselineMiB?: number; rssPeakMiB?: number; rssPeakSince: string; rssAfterMiB?: number; rssAfterSecondPassMiB?: number; durationSeconds: number;
}): string {
  const codes = Object.keys(s.outcomes);
  const width = Math.max(...Object.keys(s.outcomesPerFamily).map((k) => k.length), 6);
  const row = (label: string, cells: (string | number)[]) => `${label.padEnd(width)}  ${cells.map((c, i) => String(c).padStart(Math.max(codes[i]?.length ?? 5, 5))).join('  ')}`;
  const lines = [
    `Hostile-input fuzz: ${s.cases} cases (seed ${s.seed}), two passes, ${s.requests} requests, ${s.healthChecks} health checks, ${s.durationSeconds} s`,
    '',
    row('family', [...codes, 'cases']),
    ...Object.entries(s.outcomesPerFamily).map(([kind, outcomes]) => row(kind, [...codes.map((c) => outcomes[c] ?? ''), Object.values(outcomes).reduce((a, b) => a + b, 0)])),
    row('all', [...codes.map((c) => s.outcomes[c]), s.cases]),
    '',
    `Server RSS: baseline ${s.rssBaselineMiB} MiB, peak ${s.rssPeakMiB} MiB (since ${s.rssPeakSince}), after pass 1 ${s.rssAfterMiB} MiB, after pass 2 ${s.rssAfterSecondPassMiB} MiB`,
    `Crashes: ${s.crashes}. Failures: ${s.failures.length}`,
    ...s.failures.slice(0, 50).map((f) => `  pass ${f.pass}${f.name ? ` ${f.name} via ${f.operation} (${f.transport})` : ''}: ${f.failure}`),
  ];
  return `${lines.join('\n')}\n`;
}

main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
