// Load benchmark: `identify` over HTTP/GraphQL on the real server process, against an LFW gallery of
// at least --faces enrolled faces, driven by autocannon at --concurrency connections for --duration s.
// Baselines in the same run: the same requests on one connection, and the in-process pipeline alone
// (SearchService.identify: decode, detect, embed, search; no HTTP, no GraphQL, no base64).
//
//   npm run -s bench:load [-- --faces 10000 --concurrency 32 --duration 60 --json]
//
// The gallery lives in data/bench-load/ (its own embedded Postgres), is filled once with enroll-dir's
// code (about 13,000 LFW photos: several minutes) and reused by later runs. Output: a table, or with
// --json one JSON line per measurement on stdout (the table then goes to stderr with the progress).
//
// Client, server and Postgres share the machine's CPUs, as does anything else running: loadAverage in
// every line tells. Env: API_KEY (sent as a bearer token), DATASET_DIR, and the server's own settings
// (MODEL_DIR, ORT_INTRA_OP_THREADS, …), which the in-process baseline reads too.
import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import autocannon from 'autocannon';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '../libs/common/src/index.js';
import { DEFAULT_TENANT, TenantRepository } from '../libs/database/src/index.js';
import { GalleryService, IdentifyResult, MatchDecision, RecognitionModule, SearchService } from '../libs/recognition/src/index.js';
import { enrollImages, ImageToEnroll, listImageTree } from '../apps/cli/src/bulk-enrollment.js';
import { freePort, startServer, waitForHealth } from './server-process.js';
import { info, mean, parseIntegerFlags, quantile, round, shuffled, takeSwitches } from './bench.util.js';

const DEFAULTS = {
  /** Smallest gallery to measure against; LFW gives about 13,000 faces. */
  faces: 10_000,
  /** autocannon connections of the main measurement. */
  concurrency: 32,
  /** Seconds of the main measurement. */
  duration: 60,
  /** Seconds of each baseline: the in-process pipeline, and HTTP on one connection. */
  baseline: 20,
  /** Seconds at --concurrency before measuring (JIT, onnxruntime arenas, connection pool). */
  warmup: 10,
  /** Probe photos, rotated: half of enrolled people (a photo held out of the gallery), half of people never enrolled. */
  probes: 50,
  /** Seed of the probe selection; another seed needs a fresh data/bench-load/. */
  seed: 20240601,
};

const DATA_DIR = resolve('data/bench-load');
const GALLERY = 'lfw-load-bench';
const LFW_DIR = resolve(process.env.DATASET_DIR ?? '../shared/datasets', 'lfw', 'lfw-deepfunneled');
const SERVER_READY_TIMEOUT_MS = 300_000;
/** Longer than any latency expected at 32 connections, so slowness shows as latency rather than as timeouts. */
const REQUEST_TIMEOUT_S = 30;
/** Pause after each measurement: requests cut off at its end finish, and RSS "after" is the idle server's. */
const SETTLE_MS = 3000;
const RSS_SAMPLE_MS = 250;
const K = 5;
const IDENTIFY = 'query Identify($input: IdentifyInput!) { identify(input: $input) { faces { decision candidates { identity { externalId } } } } }';
const ROLLING_MIGRATION_NOTE =
  'Rolling-migration variant (identify while a new embedder re-embeds the gallery): not measured, model migrations do not exist yet.';

interface Probe extends ImageToEnroll {
  /** A photo of a person the gallery holds (held out of it); false for a person never enrolled. */
  enrolled: boolean;
}

type Answer = Pick<IdentifyResult, 'faces'>;

interface Latency {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

interface Rss {
  of: 'server' | 'bench process';
  before: number;
  peak: number;
  after: number;
}

interface Measurement {
  measurement: 'in-process pipeline' | 'identify over HTTP';
  /** 'steady': a gallery nobody changes. The rolling-migration variant would be a second value. */
  variant: 'steady';
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: Latency;
  /** `graphql`: 200 responses with GraphQL `errors` or without an answer; `connection` excludes timeouts, `total` sums all. */
  errors: { non2xx: number; timeouts: number; connection: number; graphql: number; total: number };
  /** Answers that differ from the in-process pipeline's for the same probe (decision and top identity of each face). */
  answersDiffering: number;
  /** VmRSS of the process doing the work (MB): the server, or this process for the in-process pipeline. */
  rssMb: Rss | null;
  galleryFaces: number;
  probes: { count: number; enrolledPeople: number; strangers: number; enrolledMatched: number; strangersUnknown: number };
  loadAverage: { before: number; after: number; cpus: number };
}

type Shared = Pick<Measurement, 'variant' | 'galleryFaces' | 'probes'>;

async function main(): Promise<void> {
  const { switches, rest } = takeSwitches(process.argv.slice(2), ['json']);
  const params = parseIntegerFlags(rest, DEFAULTS);
  if (params.concurrency < 1 || params.duration < 1 || params.baseline < 1 || params.probes < 2) {
    throw new Error('--concurrency, --duration and --baseline must be at least 1, --probes at least 2');
  }
  const json = switches.has('json');
  // The bench owns its database: the embedded Postgres of DATA_DIR, never a configured DATABASE_URL.
  delete process.env.DATABASE_URL;
  process.env.DATA_DIR = DATA_DIR;
  process.env.EMBEDDED_PG_PORT = String(await freePort());
  const measurements: Measurement[] = [];
  const emit = (m: Measurement) => {
    measurements.push(m);
    if (json) process.stdout.write(`${JSON.stringify(m)}\n`);
  };

  const { probes, galleryImages } = await selectProbes(params.probes, params.seed);
  const probeBytes = await Promise.all(probes.map((p) => readFile(p.path)));
  info(`probes: ${probes.length} LFW photos (seed ${params.seed}), ${probes.filter((p) => p.enrolled).length} of enrolled people`);

  const app = await NestFactory.createApplicationContext(RecognitionModule, { logger: ['error', 'warn'] });
  let galleryId: string;
  let tenantId: string;
  let shared: Shared;
  let expected: Answer[];
  try {
    let galleryFaces: number;
    // The default tenant: the one keyless loopback requests act for.
    tenantId = (await app.get(TenantRepository).getByName(DEFAULT_TENANT)).id;
    ({ galleryId, galleryFaces } = await prepareGallery(app, tenantId, galleryImages, probes, probeBytes, params.faces));
    const search = app.get(SearchService);
    const identify = (i: number) => search.identify({ tenantId, galleryId, image: probeBytes[i], k: K });
    // The reference answers, also the in-process warm-up.
    expected = [];
    for (let i = 0; i < probes.length; i++) expected.push(await identify(i));
    shared = { variant: 'steady', galleryFaces, probes: checkAnswers(probes, expected) };
    info(`in-process pipeline: ${params.baseline} s on one caller`);
    emit(await measureInProcess(identify, probes.length, params.baseline, shared));
  } finally {
    await app.close(); // stops the embedded Postgres before the server starts on the same files
  }

  const bodies = probeBytes.map((bytes) => JSON.stringify({ query: IDENTIFY, variables: { input: { galleryId, imageBase64: bytes.toString('base64'), k: K } } }));
  const server = await startBenchServer();
  try {
    const run = (connections: number, seconds: number) => measureHttp(server, bodies, expected, connections, seconds, shared);
    if (params.warmup > 0) {
      info(`warm-up: ${params.warmup} s at ${params.concurrency} connections`);
      await run(params.concurrency, params.warmup);
    }
    info(`identify over HTTP: ${params.baseline} s on 1 connection`);
    emit(await run(1, params.baseline));
    info(`identify over HTTP: ${params.duration} s on ${params.concurrency} connections`);
    emit(await run(params.concurrency, params.duration));
    // The rolling-migration variant goes here once model migrations exist: start one, then run() again
    // with variant 'rolling-migration', so both variants read side by side.
  } finally {
    await server.stop();
  }

  const table = formatTable(measurements);
  if (json) info(table);
  else process.stdout.write(`${table}\n`);
  const failed = measurements.filter((m) => m.errors.total > 0 || m.answersDiffering > 0);
  if (failed.length > 0) {
    info(`FAILED: ${failed.map((m) => `${m.measurement} on ${m.connections}: ${m.errors.total} errors, ${m.answersDiffering} differing answers`).join('; ')}`);
    process.exitCode = 1;
  }
}

/**
 * Seeded probes from LFW: people with 3+ photos give one held-out photo each (they stay enrolled
 * through the others), people with a single photo are strangers. The gallery is every other photo,
 * those of the probes' people first, so a small --faces still enrolls them.
 */
async function selectProbes(count: number, seed: number): Promise<{ probes: Probe[]; galleryImages: ImageToEnroll[] }> {
  const images = await listImageTree(LFW_DIR);
  if (images.length === 0) throw new Error(`No LFW photos under ${LFW_DIR} (set DATASET_DIR to the folder holding lfw/)`);
  const byPerson = new Map<string, ImageToEnroll[]>();
  for (const image of images) {
    if (!byPerson.has(image.externalId)) byPerson.set(image.externalId, []);
    byPerson.get(image.externalId)!.push(image);
  }
  const random = seededRandom(seed);
  const people = shuffled([...byPerson.keys()], random);
  const enrolledCount = Math.ceil(count / 2);
  const enrolledPeople = people.filter((p) => byPerson.get(p)!.length >= 3).slice(0, enrolledCount);
  const strangers = people.filter((p) => byPerson.get(p)!.length === 1).slice(0, count - enrolledCount);
  const pick = (person: string) => {
    const photos = byPerson.get(person)!;
    return photos[Math.floor(random() * photos.length)];
  };
  const probes: Probe[] = [
    ...enrolledPeople.map((person) => ({ ...pick(person), enrolled: true })),
    ...strangers.map((person) => ({ ...pick(person), enrolled: false })),
  ];
  const heldOut = new Set(probes.map((p) => p.path));
  const rest = images.filter((i) => !heldOut.has(i.path));
  const probePeople = new Set(enrolledPeople);
  return {
    probes: shuffled(probes, random),
    galleryImages: [...rest.filter((i) => probePeople.has(i.externalId)), ...rest.filter((i) => !probePeople.has(i.externalId))],
  };
}

/**
 * Enrolls gallery photos in order until the gallery holds `target` faces; a complete gallery is
 * reused as is, an interrupted one resumes. Photos with several faces enroll their largest (the
 * API's largestFaceOnly): LFW's subject, and 20% more faces than refusing them.
 */
async function prepareGallery(
  app: INestApplicationContext, tenantId: string, images: ImageToEnroll[], probes: Probe[], probeBytes: Buffer[], target: number,
): Promise<{ galleryId: string; galleryFaces: number }> {
  const galleries = app.get(GalleryService);
  const { gallery } = await galleries.galleryNamed(tenantId, GALLERY);
  const faceCount = (sources: Map<string, Set<string>>) => [...sources.values()].reduce((sum, s) => sum + s.size, 0);
  let faces = faceCount(await galleries.enrolledSources(gallery.id));
  info(`gallery ${GALLERY} in ${DATA_DIR}: ${faces} faces${faces < target ? `, enrolling LFW photos up to ${target}` : ''}`);
  // Each photo is looked at once: photos before `next` are enrolled (counted in `faces`) or refused.
  for (let next = 0; faces < target; ) {
    if (next >= images.length) throw new Error(`LFW gives only ${faces} faces; --faces ${target} asks for more`);
    const batch = images.slice(next, next + target - faces);
    next += batch.length;
    faces += (await enrollImages(app, { tenantId, galleryName: GALLERY, images: batch, largestFace: true, progress: info })).enrolled;
  }
  // A gallery built from another selection could hold the probes themselves: refuse to measure that.
  const sources = await galleries.enrolledSources(gallery.id);
  const leaked = probes.filter((p, i) => (p.enrolled ? sources.get(p.externalId)?.has(sha256(probeBytes[i])) : sources.has(p.externalId)));
  if (leaked.length > 0) {
    throw new Error(`${DATA_DIR} holds a gallery that contains ${leaked.length} probe(s) (another --seed?): delete the folder to rebuild it`);
  }
  return { galleryId: gallery.id, galleryFaces: faceCount(sources) };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** How the reference answers fare: enrolled people found (MATCH, right identity first), strangers left UNKNOWN. */
function checkAnswers(probes: Probe[], answers: Answer[]): Measurement['probes'] {
  const matched = (p: Probe, a: Answer) => a.faces.some((f) => f.decision === MatchDecision.MATCH && f.candidates[0]?.identity.externalId === p.externalId);
  const unknown = (a: Answer) => a.faces.every((f) => f.decision === MatchDecision.UNKNOWN);
  return {
    count: probes.length,
    enrolledPeople: probes.filter((p) => p.enrolled).length,
    strangers: probes.filter((p) => !p.enrolled).length,
    enrolledMatched: probes.filter((p, i) => p.enrolled && matched(p, answers[i])).length,
    strangersUnknown: probes.filter((p, i) => !p.enrolled && unknown(answers[i])).length,
  };
}

/** What an answer must keep under load: per face, the decision and the identity ranked first. */
const answerKey = (answer: Answer) => answer.faces.map((f) => `${f.decision}:${f.candidates[0]?.identity.externalId ?? '-'}`).join(',');

async function measureInProcess(identify: (i: number) => Promise<Answer>, probeCount: number, seconds: number, shared: Shared): Promise<Measurement> {
  const loadBefore = os.loadavg()[0];
  const latencies: number[] = [];
  const { result: elapsedMs, rss } = await sampleRss(process.pid, 'bench process', async () => {
    const started = performance.now();
    while (performance.now() - started < seconds * 1000) {
      const t = performance.now();
      await identify(latencies.length % probeCount);
      latencies.push(performance.now() - t);
    }
    return performance.now() - started;
  });
  latencies.sort((a, b) => a - b);
  return {
    measurement: 'in-process pipeline',
    ...shared,
    connections: 1,
    seconds: round(elapsedMs / 1000, 2),
    requests: latencies.length,
    requestsPerSecond: round((latencies.length * 1000) / elapsedMs, 2),
    latencyMs: {
      mean: round(mean(latencies), 1), p50: round(quantile(latencies, 0.5), 1), p90: round(quantile(latencies, 0.9), 1),
      p99: round(quantile(latencies, 0.99), 1), max: round(latencies[latencies.length - 1], 1),
    },
    errors: { non2xx: 0, timeouts: 0, connection: 0, graphql: 0, total: 0 },
    answersDiffering: 0,
    rssMb: rss,
    loadAverage: { before: round(loadBefore, 2), after: round(os.loadavg()[0], 2), cpus: os.cpus().length },
  };
}

async function measureHttp(
  server: Server, bodies: string[], expected: Answer[], connections: number, seconds: number, shared: Shared,
): Promise<Measurement> {
  const expectedKeys = expected.map(answerKey);
  const loadBefore = os.loadavg()[0];
  let sent = 0;
  let graphqlErrors = 0;
  let answersDiffering = 0;
  const { result, rss } = await sampleRss(server.pid, 'server', () =>
    autocannon({
      url: `${server.baseUrl}/graphql`,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(process.env.API_KEY ? { authorization: `Bearer ${process.env.API_KEY}` } : {}) },
      connections,
      duration: seconds,
      timeout: REQUEST_TIMEOUT_S,
      requests: [
        {
          // Each request takes the next probe, whichever connection sends it; the context remembers which.
          setupRequest: (request, context) => {
            const probe = sent++ % bodies.length;
            (context as { probe: number }).probe = probe;
            return { ...request, body: bodies[probe] };
          },
          onResponse: (status, body, context) => {
            if (status !== 200) return; // counted as non-2xx
            const answer = identifyAnswer(body);
            if (!answer) graphqlErrors++;
            else if (answerKey(answer) !== expectedKeys[(context as { probe: number }).probe]) answersDiffering++;
          },
        },
      ],
    }),
  );
  const { latency } = result;
  const errors = { non2xx: result.non2xx, timeouts: result.timeouts, connection: result.errors - result.timeouts, graphql: graphqlErrors, total: 0 };
  errors.total = errors.non2xx + result.errors + graphqlErrors;
  return {
    measurement: 'identify over HTTP',
    ...shared,
    connections,
    seconds: result.duration,
    requests: result.requests.total,
    requestsPerSecond: round(result.requests.total / result.duration, 2),
    latencyMs: { mean: round(latency.mean, 1), p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max },
    errors,
    answersDiffering,
    rssMb: rss,
    loadAverage: { before: round(loadBefore, 2), after: round(os.loadavg()[0], 2), cpus: os.cpus().length },
  };
}

/** The identify answer of a response body; null when it has GraphQL `errors`, no answer, or is not JSON. */
function identifyAnswer(body: string): Answer | null {
  try {
    const response = JSON.parse(body) as { data?: { identify?: Answer }; errors?: unknown[] };
    return response.errors || !response.data?.identify ? null : response.data.identify;
  } catch {
    return null;
  }
}

/** VmRSS of a process in MB (Linux /proc); null where there is no /proc. */
function rssMb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Runs `work` while sampling the RSS of `pid`: before, peak during, and after SETTLE_MS of rest. */
async function sampleRss<T>(pid: number, of: Rss['of'], work: () => Promise<T>): Promise<{ result: T; rss: Rss | null }> {
  const before = rssMb(pid);
  let peak = before ?? 0;
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid) ?? 0)), RSS_SAMPLE_MS);
  let result: T;
  try {
    result = await work();
  } finally {
    clearInterval(timer);
  }
  await sleep(SETTLE_MS);
  const after = rssMb(pid);
  return { result, rss: before === null || after === null ? null : { of, before, peak: Math.max(peak, after), after } };
}

interface Server {
  pid: number;
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * The real server on DATA_DIR, free ports, and this environment otherwise. Rate limiting is turned
 * off: the bench is the one client.
 */
async function startBenchServer(): Promise<Server> {
  const port = await freePort();
  const server = startServer({ ...process.env, PORT: String(port), HOST: '127.0.0.1', EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: 'warn', RATE_LIMIT: '0' });
  const baseUrl = `http://127.0.0.1:${port}`;
  const started = performance.now();
  info(`server: pid ${server.process.pid}, ${baseUrl}; waiting for /health (index rebuild)`);
  const health = await waitForHealth(baseUrl, server, { timeoutMs: SERVER_READY_TIMEOUT_MS });
  info(`server ready in ${Math.round((performance.now() - started) / 1000)} s: ${JSON.stringify(health)}`);
  return {
    pid: server.process.pid!,
    baseUrl,
    async stop() {
      server.process.kill('SIGTERM');
      // SIGTERM stops Nest and the embedded Postgres cleanly; a server stuck past a minute is killed.
      const timer = setTimeout(() => server.process.kill('SIGKILL'), 60_000);
      await server.exited;
      clearTimeout(timer);
    },
  };
}

/** The measurements as a table, with the HTTP/GraphQL overhead and the concurrency gain below it. */
function formatTable(measurements: Measurement[]): string {
  const [first] = measurements;
  const p = first.probes;
  const cell = (value: string | number, width: number) => String(value).padStart(width);
  const lines = [
    `identify: gallery of ${first.galleryFaces} LFW faces; ${p.count} probes: ${p.enrolledMatched}/${p.enrolledPeople} enrolled people matched, ` +
      `${p.strangersUnknown}/${p.strangers} strangers unknown; ${first.loadAverage.cpus} CPUs`,
    `${'measurement'.padEnd(20)} ${cell('conn', 4)} ${cell('req', 6)} ${cell('req/s', 7)} ${cell('mean', 7)} ${cell('p50', 7)} ${cell('p90', 7)} ` +
      `${cell('p99', 7)} ${cell('max', 7)} ${cell('errors', 6)} ${cell('differ', 6)}  RSS MB before/peak/after  load before→after`,
    ...measurements.map((m) =>
      `${m.measurement.padEnd(20)} ${cell(m.connections, 4)} ${cell(m.requests, 6)} ${cell(m.requestsPerSecond, 7)} ${cell(m.latencyMs.mean, 7)} ` +
        `${cell(m.latencyMs.p50, 7)} ${cell(m.latencyMs.p90, 7)} ${cell(m.latencyMs.p99, 7)} ${cell(m.latencyMs.max, 7)} ` +
        `${cell(m.errors.total, 6)} ${cell(m.answersDiffering, 6)}  ${(m.rssMb ? `${m.rssMb.before}/${m.rssMb.peak}/${m.rssMb.after} (${m.rssMb.of})` : 'n/a').padEnd(24)}  ` +
        `${m.loadAverage.before}→${m.loadAverage.after}`,
    ),
    '(latencies in ms)',
  ];
  const inProcess = measurements.find((m) => m.measurement === 'in-process pipeline');
  const [single, ...loaded] = measurements.filter((m) => m.measurement === 'identify over HTTP');
  if (inProcess && single) {
    const overhead = single.latencyMs.mean - inProcess.latencyMs.mean;
    lines.push(`HTTP + GraphQL + base64 on one connection: ${overhead >= 0 ? '+' : ''}${round(overhead, 1)} ms per request (${round((100 * overhead) / inProcess.latencyMs.mean, 1)}% of the pipeline)`);
  }
  for (const m of loaded) {
    lines.push(`${m.connections} connections: ${round(m.requestsPerSecond / single.requestsPerSecond, 2)}× the requests/s of one, p50 latency ${round(m.latencyMs.p50 / single.latencyMs.p50, 1)}×`);
  }
  lines.push(ROLLING_MIGRATION_NOTE);
  return lines.join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`load benchmark failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
