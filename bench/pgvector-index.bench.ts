// pgvector index benchmark: queries/s and recall@1/@10 against exact search, over a seeded gallery
// of face-like vectors, at a few hnsw.ef_search values; one JSON line per ef on stdout.
//
//   npm run -s bench:pgvector -- [--n 20000] [--queries 200] [--galleries 1] [--m 16] [--efc 200] [--seed 1]
//
// Against PGVECTOR_URL when set (a server with pgvector; the benchmark replaces its own rows, model
// `bench-pgvector`, and nothing else), else against PGlite + pgvector started in this process (WASM:
// tests only, about 300 inserts/s into the graph, so keep --n modest there). Queries go one at a time
// over one connection, as one API request would send them. The data: identities with 1–9 samples
// each (SyntheticFaces: same-identity cosine ≈ 0.69, strangers ≈ 0); queries are new samples of
// enrolled identities; with --galleries G the vectors are spread round-robin over G galleries and
// each query searches its identity's gallery (the filtered case).
import os from 'node:os';
import { seededRandom } from '../libs/common/src/index.js';
import { BruteForceIndex } from '../libs/vector-index/src/index.js';
import { SyntheticFaces } from '../libs/vector-index/src/synthetic-faces.js';
import { info, parseIntegerFlags } from './bench.util.js';
import { startPgvectorServer } from './pglite-pgvector.server.js';
import { PgvectorIndexEngine } from './pgvector-index.engine.js';

const DIMENSION = 128;
const K = 10;
const EF_SWEEP = [40, 64, 128, 256];

const round = (value: number, digits = 4) => Number(value.toFixed(digits));

async function main(): Promise<void> {
  const flags = parseIntegerFlags(process.argv.slice(2), { n: 20_000, queries: 200, galleries: 1, m: 16, efc: 200, seed: 1 });
  const { n, queries, galleries, m, efc, seed } = flags;
  const pglite = process.env.PGVECTOR_URL ? undefined : await startPgvectorServer();
  const url = process.env.PGVECTOR_URL ?? pglite!.url;
  const server = pglite ? 'PGlite 0.5.14 (WASM, in process)' : 'PGVECTOR_URL';
  try {
    const data = faceGallery(n, queries, galleries, seed);
    const engine = await PgvectorIndexEngine.open({ url, dimension: DIMENSION, m, efConstruction: efc, efSearch: EF_SWEEP[0] });
    try {
      info(`pgvector ${engine.pgvectorVersion} on ${server}: building ${n} vectors in ${galleries} galleries (M ${m}, efConstruction ${efc})`);
      const loadBefore = os.loadavg()[0];
      const started = performance.now();
      await engine.build(data.vectors, data.partitions);
      const buildSeconds = (performance.now() - started) / 1000;
      const buildLoad = (loadBefore + os.loadavg()[0]) / 2;
      info(`built in ${buildSeconds.toFixed(1)} s (${Math.round(n / buildSeconds)} vectors/s)`);
      info(`plan of one search:\n${await engine.explainSearch(data.queries[0], K, data.queryPartitions[0])}`);
      const truth = exactTops(data);
      for (const ef of EF_SWEEP) {
        await engine.setEfSearch(ef);
        let at1 = 0;
        let at10 = 0;
        const searchStarted = performance.now();
        for (let q = 0; q < queries; q++) {
          const got = (await engine.search(data.queries[q], K, data.queryPartitions[q])).map((hit) => hit.label);
          if (got[0] === truth[q][0]) at1++;
          at10 += got.filter((label) => truth[q].includes(label)).length / truth[q].length;
        }
        const ms = performance.now() - searchStarted;
        const measurement = {
          engine: 'pgvector', n, dim: DIMENSION, efSearch: ef, k: K, galleries,
          qps: round((queries * 1000) / ms, 1), recall1: round(at1 / queries), recall10: round(at10 / queries),
          buildSeconds: round(buildSeconds, 1), insertsPerSecond: Math.round(n / buildSeconds), m, efConstruction: efc, queries, seed,
          pgvector: engine.pgvectorVersion, server, iterativeScan: 'relaxed_order',
          loadAverage: { build: round(buildLoad, 2), query: round(os.loadavg()[0], 2) },
        };
        info(`ef ${ef}: ${measurement.qps} q/s, recall@1 ${measurement.recall1}, recall@10 ${measurement.recall10}`);
        process.stdout.write(`${JSON.stringify(measurement)}\n`);
      }
    } finally {
      await engine.close();
    }
  } finally {
    await pglite?.stop();
  }
}

interface BenchData {
  vectors: Float32Array;
  partitions: string[];
  queries: Float32Array[];
  queryPartitions: string[];
}

/** `n` vectors of identities with 1–9 samples each, identity i in gallery i mod G; queries are new samples of enrolled identities. */
function faceGallery(n: number, queries: number, galleries: number, seed: number): BenchData {
  const faces = new SyntheticFaces(DIMENSION, Math.ceil(n / 4) + 9, seed);
  const random = seededRandom(seed + 1);
  const vectors = new Float32Array(n * DIMENSION);
  const identities: number[] = [];
  for (let identity = 0, i = 0; i < n; identity++) {
    for (let s = 1 + Math.floor(random() * 9); s > 0 && i < n; s--, i++) {
      vectors.set(faces.sample(identity), i * DIMENSION);
      identities.push(identity);
    }
  }
  const galleryOf = (identity: number) => String(identity % galleries);
  const asked = Array.from({ length: queries }, () => identities[Math.floor(random() * n)]);
  return {
    vectors,
    partitions: identities.map(galleryOf),
    queries: asked.map((identity) => faces.sample(identity)),
    queryPartitions: asked.map(galleryOf),
  };
}

/** Exact top-K labels of each query within its gallery. */
function exactTops(data: BenchData): number[][] {
  const exact = new Map<string, BruteForceIndex>();
  data.partitions.forEach((partition, i) => {
    if (!exact.has(partition)) exact.set(partition, new BruteForceIndex(DIMENSION));
    exact.get(partition)!.add(i, data.vectors.subarray(i * DIMENSION, (i + 1) * DIMENSION));
  });
  return data.queries.map((query, q) => exact.get(data.queryPartitions[q])!.search(query, K).map((hit) => hit.label));
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
