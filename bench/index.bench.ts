// Vector index benchmark. On seeded face-like data, side by side in one run:
//   raw        hnswlib-node straight (one graph, labels = positions), at the library-default-ish
//              M/efConstruction (--m 16, --ef-construction 200), and again over the service's own
//              graph (the same graph the service searches: equal M, equal efSearch, nothing else);
//   service    the platform's PartitionedHnswIndex as FaceIndexService drives it (its own labels
//              mapped to owners, the gallery partition with a graph of its own, loaded in batches, a
//              fraction of faces deleted and re-enrolled before measuring), at its configured
//              HNSW_M / HNSW_EF_CONSTRUCTION unless --service-m / --service-ef-construction say;
//   bruteforce an exact scan (hnswlib's BruteforceSearch, C++, one thread), which also gives the
//              ground truth.
// Reports build time and inserts/s, resident memory per vector, queries/s and recall@1/@10 against
// exact search over an efSearch sweep.
//
//   npm run -s bench:index -- --n 1000000 --dim 128 [--json] [--int8] [--queries 1000] [--ef 16,32,64,128,256]
//     [--m 16] [--ef-construction 200] [--service-m N] [--service-ef-construction N] [--seed 1]
//     [--brute-queries 200] [--churn 0.01] [--parallel 2] [--rounds 1]
//
// With --json, stdout has one JSON line per measurement; everything else goes to stderr.
//
// Method.
// - Data (index-data.ts): SyntheticFaces, identities of 1–9 samples each; queries are new samples
//   of enrolled identities. Its statistics are fixed and printed (same identity cosine ≈ 0.69,
//   strangers ≈ 0). --int8: the engines index every vector after the int8 codec and back (what
//   they hold when fed int8 embeddings), while queries and ground truth stay float, so the recall
//   loss of int8 at rest is in the figures.
// - Ground truth: exact top 10 of every query (float), the gallery split over one worker thread per
//   core, their top 10s merged.
// - Each engine is built in its own child process (at most --parallel at once: the two cores build
//   two engines side by side; hnswlib-node builds one graph on one thread). Resident memory per
//   vector is the child's growth over the build of resident memory outside the V8 heap plus live
//   JS heap (after GC), the data (written once by the parent, read by each child in one allocation
//   per file) already loaded before the first reading: the engine's graph, label maps and allocator
//   overhead, not the benchmark's arrays nor V8's garbage. Build seconds are wall time; CPU seconds are given too,
//   since the machine may be shared.
// - Queries run once all engines are built, interleaved 50 at a time engine after engine, so load
//   from other processes falls on all alike; a child times only its own search calls. k = 10.
import { ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { loadConfig } from '../libs/config/src/app.config.js';
import { info } from './bench.util.js';
import { exactSearch, faceGallery, int8Restored, similarityStatistics, SimilarityStatistics } from './index-data.js';
import { BenchEngine, bruteForce, rawFromFile, rawHnsw, serviceEngine } from './index-engines.js';

const platform = loadConfig().index;
const DEFAULTS = {
  n: 100_000,
  dim: 128,
  /** Held-out queries. */
  queries: 1000,
  ef: [16, 32, 64, 128, 256],
  /** Raw hnswlib-node's M and efConstruction (the baseline). */
  m: 16,
  'ef-construction': 200,
  /** The service's; default: the platform's configuration (HNSW_M, HNSW_EF_CONSTRUCTION). */
  'service-m': platform.m,
  'service-ef-construction': platform.efConstruction,
  seed: 1,
  json: false,
  int8: false,
  /** Queries timed on brute force (slow at 1M): its recall needs no more. */
  'brute-queries': 200,
  /** Fraction of the service's faces deleted and re-enrolled before measuring. */
  churn: 0.01,
  /** Engines built at once (one per core). */
  parallel: Math.min(2, os.availableParallelism()),
  /** Timed passes over the queries per efSearch. */
  rounds: 1,
};
type Flags = typeof DEFAULTS;
const K = 10;
const BATCH = 50;
const STATISTIC_PAIRS = 20_000;
/** Faces per batch of the service's load: FaceIndexService streams Postgres in batches. */
const SERVICE_BATCH = 1000;

type EngineName = 'raw' | 'service' | 'bruteforce';
/** One engine of the run. `graph`: whose graph a raw engine searches. */
interface EngineRun {
  id: string;
  engine: EngineName;
  m: number | null;
  efConstruction: number | null;
  graph: 'own' | 'service' | null;
}
interface ChildInit {
  type: 'init';
  run: EngineRun;
  flags: Flags;
  /** Holds the data files (dataFile) and the service's graph. */
  dir: string;
}
interface Built {
  type: 'built';
  buildSeconds: number;
  buildCpuSeconds: number;
  bytesPerVector: number;
  loadAverage: number;
  churned: number;
}
interface RunRequest {
  type: 'run';
  ef: number;
  from: number;
  to: number;
}
interface Ran {
  type: 'ran';
  ms: number;
  labels: number[];
}
interface Measurement {
  engine: EngineName;
  n: number;
  dim: number;
  efSearch: number | null;
  qps: number;
  recall1: number;
  recall10: number;
  bytesPerVector: number;
  buildSeconds: number | null;
  m: number | null;
  efConstruction: number | null;
  graph: EngineRun['graph'];
  int8: boolean;
  insertsPerSecond: number | null;
  buildCpuSeconds: number | null;
  queries: number;
  churned: number;
  loadAverage: { build: number; query: number };
  data: SimilarityStatistics;
}

const load = () => os.loadavg()[0];
/** The gallery (as the engines index it: int8-restored with --int8), its identities and the queries, each one binary array. */
const dataFile = (dir: string, name: 'vectors' | 'identities' | 'queries') => join(dir, `${name}.bin`);
/** One allocation per file: reading creates no garbage that could be freed during a build and distort its memory figure. */
const readArray = <T>(path: string, View: new (buffer: ArrayBuffer, offset: number, length: number) => T, bytes: number): T => {
  const data = readFileSync(path);
  return new View(data.buffer, data.byteOffset, data.byteLength / bytes);
};
const round = (value: number, digits = 4) => Number(value.toFixed(digits));

// ---- Parent -------------------------------------------------------------------------------------
async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const { n, dim, queries: nq, seed } = flags;
  if (n < K || nq < 1 || flags.rounds < 1 || flags.ef.length === 0) throw new Error(`--n must be at least ${K}; --queries, --rounds and --ef must not be empty`);
  const runs = engineRuns(flags);
  info(`index bench: n ${n}, dim ${dim}, queries ${nq}, ef ${flags.ef.join(',')}, raw M ${flags.m}/efC ${flags['ef-construction']}, ` +
    `service M ${flags['service-m']}/efC ${flags['service-ef-construction']}, int8 ${flags.int8}, seed ${seed}; ` +
    `load ${load().toFixed(2)} on ${os.cpus().length} CPUs`);

  let started = performance.now();
  const gallery = faceGallery(n, dim, nq, seed);
  const data = similarityStatistics(gallery, STATISTIC_PAIRS, seed + 2);
  info(`data: ${gallery.identities[n - 1] + 1} identities in ${((performance.now() - started) / 1000).toFixed(1)} s; cosine same identity ` +
    `p5 ${data.sameP5.toFixed(3)} median ${data.sameMedian.toFixed(3)} p95 ${data.sameP95.toFixed(3)}, strangers median ` +
    `${data.strangerMedian.toFixed(3)} p99.9 ${data.strangerP999.toFixed(3)}`);
  started = performance.now();
  const truth = await groundTruth(gallery.vectors, gallery.queries, dim);
  info(`ground truth: exact top ${K} of ${nq} queries in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const dir = mkdtempSync(join(os.tmpdir(), 'facerec-index-bench-'));
  const children = new Map<string, { child: ChildProcess; built: Built }>();
  try {
    writeFileSync(dataFile(dir, 'vectors'), flags.int8 ? int8Restored(gallery.vectors, dim) : gallery.vectors);
    writeFileSync(dataFile(dir, 'identities'), gallery.identities);
    writeFileSync(dataFile(dir, 'queries'), gallery.queries);
    await buildAll(runs, flags, dir, children);
    const measurements = await measure(flags, runs, children, truth, data);
    const summary = summarize(measurements);
    if (flags.json) {
      for (const m of measurements) process.stdout.write(`${JSON.stringify(m)}\n`);
      info(summary);
    } else {
      process.stdout.write(`${table(measurements)}\n${summary}\n`);
    }
  } finally {
    for (const { child } of children.values()) child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Raw at its own parameters, raw over the service's graph (when the parameters differ), the service, brute force. */
function engineRuns(flags: Flags): EngineRun[] {
  const raw = { m: flags.m, efConstruction: flags['ef-construction'] };
  const service = { m: flags['service-m'], efConstruction: flags['service-ef-construction'] };
  const same = raw.m === service.m && raw.efConstruction === service.efConstruction;
  return [
    { id: 'raw', engine: 'raw', ...raw, graph: 'own' },
    ...(same ? [] : [{ id: 'raw-service-graph', engine: 'raw', ...service, graph: 'service' } as const]),
    { id: 'service', engine: 'service', ...service, graph: 'own' },
    { id: 'bruteforce', engine: 'bruteforce', m: null, efConstruction: null, graph: null },
  ];
}

/**
 * Builds every engine in its own child, at most `parallel` at once; the raw engine over the
 * service's graph starts once the service has saved it.
 */
async function buildAll(runs: EngineRun[], flags: Flags, dir: string, children: Map<string, { child: ChildProcess; built: Built }>): Promise<void> {
  const waiting = [...runs];
  const building = new Set<Promise<void>>();
  let serviceBuilt = false;
  const ready = (run: EngineRun) => run.graph !== 'service' || serviceBuilt;
  while (waiting.length > 0 || building.size > 0) {
    const next = waiting.findIndex(ready);
    if (next >= 0 && building.size < flags.parallel) {
      const [run] = waiting.splice(next, 1);
      const child = fork(fileURLToPath(import.meta.url), ['--child'], { execArgv: ['--expose-gc'], stdio: ['ignore', 2, 2, 'ipc'] });
      const job = request<Built>(child, { type: 'init', run, flags, dir } satisfies ChildInit).then((built) => {
        children.set(run.id, { child, built });
        if (run.engine === 'service') serviceBuilt = true;
        info(`${run.id}: built in ${built.buildSeconds.toFixed(1)} s (CPU ${built.buildCpuSeconds.toFixed(1)} s, ` +
          `${Math.round(flags.n / built.buildSeconds)} inserts/s), ${Math.round(built.bytesPerVector)} B/vector; load ${built.loadAverage.toFixed(2)}`);
      });
      building.add(job);
      void job.finally(() => building.delete(job)).catch(() => undefined);
    } else {
      await Promise.race(building);
    }
  }
}

/** Exact top K of every query: each worker thread scans its share of the gallery for every query, then their top Ks are merged. */
async function groundTruth(vectors: Float32Array, queries: Float32Array, dim: number): Promise<Int32Array> {
  const threads = os.availableParallelism();
  const shared = (array: Float32Array) => {
    const copy = new Float32Array(new SharedArrayBuffer(array.byteLength));
    copy.set(array);
    return copy;
  };
  const n = vectors.length / dim;
  const nq = queries.length / dim;
  const per = Math.ceil(n / threads);
  const job = { vectors: shared(vectors), queries: shared(queries), dim };
  const shares = await Promise.all(
    Array.from({ length: threads }, (_, thread) => new Promise<TruthShare>((resolve, reject) => {
      const worker = new Worker(new URL(import.meta.url), { workerData: { ...job, from: Math.min(n, thread * per), to: Math.min(n, (thread + 1) * per) } });
      worker.once('message', resolve).on('error', reject).on('exit', (code) => code !== 0 && reject(new Error(`ground-truth worker exited with ${code}`)));
    })),
  );
  const truth = new Int32Array(nq * K);
  for (let q = 0; q < nq; q++) {
    const hits = shares.flatMap((share) => share.labels[q].map((label, i) => ({ label, distance: share.distances[q][i] })));
    hits.sort((a, b) => a.distance - b.distance || a.label - b.label);
    truth.set(hits.slice(0, K).map((hit) => hit.label), q * K);
  }
  return truth;
}

interface TruthShare {
  labels: number[][];
  distances: number[][];
}

function truthWorker({ vectors, queries, dim, from, to }: { vectors: Float32Array; queries: Float32Array; dim: number; from: number; to: number }): void {
  const share: TruthShare = { labels: [], distances: [] };
  if (to > from) {
    const scan = exactSearch(vectors, dim, from, to);
    for (let q = 0; q < queries.length / dim; q++) {
      const { neighbors, distances } = scan.searchKnn(Array.from(queries.subarray(q * dim, (q + 1) * dim)), Math.min(K, to - from));
      share.labels.push(neighbors);
      share.distances.push(distances);
    }
  }
  parentPort!.postMessage(share);
}

/** Runs the sweep, interleaving the graph engines batch by batch; recall against `truth`. */
async function measure(
  flags: Flags, runs: EngineRun[], children: Map<string, { child: ChildProcess; built: Built }>, truth: Int32Array, data: SimilarityStatistics,
): Promise<Measurement[]> {
  const { n, dim, queries: nq, rounds } = flags;
  const recall = (labels: number[], from: number) => {
    let at1 = 0;
    let at10 = 0;
    for (let q = 0; q < labels.length / K; q++) {
      const want = truth.subarray((from + q) * K, (from + q + 1) * K);
      const got = labels.slice(q * K, (q + 1) * K);
      if (got[0] === want[0]) at1++;
      at10 += got.filter((label) => want.includes(label)).length / K;
    }
    return { at1, at10 };
  };
  const measurement = (run: EngineRun, efSearch: number | null, queries: number, ms: number, at1: number, at10: number, queryLoad: number): Measurement => {
    const { built } = children.get(run.id)!;
    const builds = run.graph === 'own';
    return {
      engine: run.engine, n, dim, efSearch,
      qps: round((queries * 1000) / ms, 1),
      recall1: round(at1 / queries),
      recall10: round(at10 / queries),
      bytesPerVector: Math.round(built.bytesPerVector),
      buildSeconds: builds ? round(built.buildSeconds, 1) : null,
      m: run.m,
      efConstruction: run.efConstruction,
      graph: run.graph,
      int8: flags.int8,
      insertsPerSecond: builds ? Math.round(n / built.buildSeconds) : null,
      buildCpuSeconds: builds ? round(built.buildCpuSeconds, 1) : null,
      queries,
      churned: built.churned,
      loadAverage: { build: round(built.loadAverage, 2), query: round(queryLoad, 2) },
      data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, round(value)])) as unknown as SimilarityStatistics,
    };
  };

  const graphs = runs.filter((run) => run.engine !== 'bruteforce');
  const send = (run: EngineRun, message: RunRequest) => request<Ran>(children.get(run.id)!.child, message);
  for (const run of graphs) await send(run, { type: 'run', ef: flags.ef[0], from: 0, to: Math.min(nq, BATCH) }); // warm-up
  const results: Measurement[] = [];
  for (const ef of flags.ef) {
    const totals = new Map(graphs.map((run) => [run.id, { ms: 0, at1: 0, at10: 0 }]));
    const loads: number[] = [];
    for (let pass = 0; pass < rounds; pass++) {
      for (let from = 0; from < nq; from += BATCH) {
        const to = Math.min(nq, from + BATCH);
        // Rotate which engine goes first, so none always follows another's cache traffic.
        const shift = (from / BATCH + pass) % graphs.length;
        for (const run of [...graphs.slice(shift), ...graphs.slice(0, shift)]) {
          const ran = await send(run, { type: 'run', ef, from, to });
          const total = totals.get(run.id)!;
          total.ms += ran.ms;
          if (pass === 0) {
            const { at1, at10 } = recall(ran.labels, from);
            total.at1 += at1;
            total.at10 += at10;
          }
        }
        loads.push(load());
      }
    }
    const queryLoad = loads.reduce((a, b) => a + b, 0) / loads.length;
    for (const run of graphs) {
      const { ms, at1, at10 } = totals.get(run.id)!;
      const result = measurement(run, ef, nq, ms / rounds, at1, at10, queryLoad);
      results.push(result);
      info(`${run.id} ef ${ef}: ${result.qps} q/s, recall@1 ${result.recall1}, @10 ${result.recall10}; load ${queryLoad.toFixed(2)}`);
    }
  }
  const brute = runs.find((run) => run.engine === 'bruteforce')!;
  const queries = Math.min(nq, flags['brute-queries']);
  const ran = await send(brute, { type: 'run', ef: 0, from: 0, to: queries });
  const { at1, at10 } = recall(ran.labels, 0);
  results.push(measurement(brute, null, queries, ran.ms, at1, at10, load()));
  info(`bruteforce: ${results.at(-1)!.qps} q/s over ${queries} queries`);
  return results;
}

/** The service/raw ratio at equal M and efSearch, and each engine's best queries/s at recall@1 ≥ 0.99. */
function summarize(measurements: Measurement[]): string {
  const lines: string[] = [];
  const service = measurements.filter((m) => m.engine === 'service');
  const sameGraph = measurements.filter((m) => m.engine === 'raw' && m.m === service[0]?.m && m.efConstruction === service[0]?.efConstruction);
  if (service.length && sameGraph.length) {
    const ratios = service.map((s) => `ef ${s.efSearch} ${(s.qps / sameGraph.find((r) => r.efSearch === s.efSearch)!.qps).toFixed(2)}`);
    lines.push(`service/raw queries/s at equal M ${service[0].m} and efSearch: ${ratios.join(', ')}`);
  }
  const label = (m: Measurement) => `${m.engine}${m.m === null ? '' : ` M${m.m}/efC${m.efConstruction}${m.graph === 'service' ? " (service's graph)" : ''}`}`;
  for (const key of new Set(measurements.filter((m) => m.engine !== 'bruteforce').map(label))) {
    const best = measurements.filter((m) => label(m) === key && m.recall1 >= 0.99).sort((a, b) => b.qps - a.qps)[0];
    lines.push(`${key}: ${best ? `${best.qps} q/s at recall@1 ${best.recall1} (ef ${best.efSearch})` : 'recall@1 0.99 not reached in the sweep'}`);
  }
  return lines.join('\n');
}

function table(measurements: Measurement[]): string {
  const header = ['engine', 'M', 'efC', 'graph', 'efSearch', 'q/s', 'recall@1', 'recall@10', 'B/vector', 'build s', 'inserts/s', 'load'];
  const rows = measurements.map((m) => [
    m.engine, String(m.m ?? '-'), String(m.efConstruction ?? '-'), m.graph ?? '-', String(m.efSearch ?? '-'), String(m.qps), m.recall1.toFixed(4),
    m.recall10.toFixed(4), String(m.bytesPerVector), String(m.buildSeconds ?? '-'), String(m.insertsPerSecond ?? '-'), String(m.loadAverage.query),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padStart(widths[i])).join('  ')).join('\n');
}

/** `--name value` / `--name=value` over DEFAULTS: numbers, comma-separated number lists, and bare booleans. */
function parseFlags(argv: string[]): Flags {
  const flags: Record<string, unknown> = { ...DEFAULTS };
  const usage = `accepted flags: ${Object.keys(DEFAULTS).map((name) => `--${name}`).join(', ')}`;
  for (let i = 0; i < argv.length; i++) {
    const match = /^--([a-z][\w-]*)(?:=(.*))?$/.exec(argv[i]);
    if (!match || !(match[1] in DEFAULTS)) throw new Error(`Unexpected argument "${argv[i]}"; ${usage}`);
    const [, name, inline] = match;
    const fallback = DEFAULTS[name as keyof Flags];
    if (typeof fallback === 'boolean') {
      flags[name] = inline === undefined ? true : inline === 'true';
      continue;
    }
    const raw = inline ?? argv[++i];
    const numbers = (raw ?? '').split(',').map(Number);
    if (raw === undefined || numbers.some((value) => !Number.isFinite(value) || value < 0)) throw new Error(`--${name} needs a non-negative number${Array.isArray(fallback) ? ' list' : ''}, got "${raw}"`);
    flags[name] = Array.isArray(fallback) ? numbers : numbers[0];
  }
  return flags as Flags;
}

/** Sends `message` and resolves with the child's next reply (or rejects when it dies). */
function request<T>(child: ChildProcess, message: object): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`benchmark child exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', (reply) => {
      child.off('exit', onExit);
      resolve(reply as T);
    });
    child.send(message);
  });
}

// ---- Child: one engine --------------------------------------------------------------------------
async function child(): Promise<void> {
  const { run, flags, dir } = await new Promise<ChildInit>((resolve) => process.once('message', (message) => resolve(message as ChildInit)));
  const { n, dim, seed } = flags;
  const vectors = readArray(dataFile(dir, 'vectors'), Float32Array, 4);
  const identities = readArray(dataFile(dir, 'identities'), Int32Array, 4);
  const queries = readArray(dataFile(dir, 'queries'), Float32Array, 4);
  const graphFile = join(dir, 'service.hnsw');
  const before = await settledMemory();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const graph = { dimension: dim, m: run.m ?? 0, efConstruction: run.efConstruction ?? 0, seed };
  let engine: BenchEngine;
  let churned = 0;
  if (run.engine === 'bruteforce') {
    engine = bruteForce(dim);
    await engine.add(vectors, 0, n);
  } else if (run.graph === 'service') {
    engine = await rawFromFile(dim, graphFile);
  } else if (run.engine === 'raw') {
    engine = rawHnsw(graph, n);
    await engine.add(vectors, 0, n);
  } else {
    engine = serviceEngine(
      { ...graph, efSearch: platform.efSearch, exactSearchMaxSize: platform.exactSearchMaxFaces, compactDeletedFraction: platform.compactDeletedFraction },
      identities,
    );
    for (let from = 0; from < n; from += SERVICE_BATCH) await engine.add(vectors, from, Math.min(n, from + SERVICE_BATCH));
  }
  const buildSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const loadAverage = load();
  const after = await settledMemory();
  const bytesPerVector = (after.native - before.native + after.heap - before.heap) / n;
  if (run.engine === 'service') {
    // Saved before the churn: raw then searches the graph exactly as the service built it.
    await engine.writeGraph!(graphFile);
    churned = Math.round(flags.churn * n);
    await engine.churn!(vectors, churned, seed);
  }
  process.send!({ type: 'built', buildSeconds, buildCpuSeconds: (cpu.user + cpu.system) / 1e6, bytesPerVector, loadAverage, churned } satisfies Built);

  process.on('message', (message: RunRequest) => {
    void (async () => {
      const labels: number[] = [];
      const t = performance.now();
      for (let q = message.from; q < message.to; q++) labels.push(...(await engine.search(queries.subarray(q * dim, (q + 1) * dim), K, message.ef)));
      process.send!({ type: 'ran', ms: performance.now() - t, labels } satisfies Ran);
    })();
  });
}

/**
 * Memory once garbage is gone: `native`, resident memory outside the V8 heap (hnswlib's graph, typed
 * arrays), and `heap`, live JS objects (label maps). Resident size alone misleads: V8 commits heap
 * pages for short-lived garbage (the arrays handed to hnswlib) and releases them at its own pace, and
 * frees dead typed arrays' memory concurrently, so a few rounds of collecting and waiting come first.
 */
async function settledMemory(): Promise<{ native: number; heap: number }> {
  for (let round = 0; round < 3; round++) {
    globalThis.gc!();
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  const { rss, heapTotal, heapUsed } = process.memoryUsage();
  return { native: rss - heapTotal, heap: heapUsed };
}

const fail = (what: string) => (error: unknown) => {
  process.stderr.write(`${what} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
};
if (!isMainThread) truthWorker(workerData);
else if (process.argv.includes('--child')) child().catch(fail('index benchmark child'));
else main().catch(fail('index benchmark'));
