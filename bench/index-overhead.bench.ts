// The service's own cost per query, measured in one process: the platform engine over the graph it
// built, raw hnswlib-node over that same graph read from its file, and the engine restored from the
// file (as FaceIndexService boots from a snapshot), searched in turn, three passes per efSearch.
// bench:index compares engines across child processes, where a loaded machine's scheduling alone
// moves queries/s by 10–20%; here nothing differs but the code around hnswlib.
//
//   npm run -s bench:index-overhead [-- --n 100000 --m 32 --ef-construction 100 --queries 300]
import { rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { PartitionedHnswIndex } from '../libs/vector-index/src/partitioned-hnsw.index.js';
import { info, parseIntegerFlags } from './bench.util.js';
import { faceGallery } from './index-data.js';
import { BenchEngine, rawFromFile, serviceEngine } from './index-engines.js';

const flags = parseIntegerFlags(process.argv.slice(2), { n: 100_000, dim: 128, m: 32, 'ef-construction': 100, queries: 300, seed: 1 });
const { n, dim, seed } = flags;
const gallery = faceGallery(n, dim, flags.queries, seed);
const options = { dimension: dim, m: flags.m, efConstruction: flags['ef-construction'], efSearch: 64, exactSearchMaxSize: 2000, seed };
const file = join(os.tmpdir(), `facerec-index-overhead-${process.pid}.hnsw`);
const started = performance.now();
const built = serviceEngine(options, gallery.identities);
for (let from = 0; from < n; from += 1000) await built.add(gallery.vectors, from, Math.min(n, from + 1000));
info(`built ${n} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
await built.writeGraph!(file);
const raw = await rawFromFile(dim, file);
const index = await PartitionedHnswIndex.restore(options, [{ partition: 'bench', path: file, liveCount: n }], Array.from({ length: n }, (_, i) => [i, 'bench'] as const), []);
rmSync(file);
const restored: BenchEngine = {
  add: async () => undefined,
  search: async (query, k, ef) => {
    index.efSearch = ef;
    return index.search(query, k, 'bench').map((hit) => hit.label);
  },
};
const queries = Array.from({ length: flags.queries }, (_, q) => gallery.queries.subarray(q * dim, (q + 1) * dim));
const engines = { service: built, raw, 'service restored': restored };
for (const ef of [64, 128]) {
  const ms = new Map(Object.keys(engines).map((name) => [name, 0]));
  for (let pass = 0; pass < 3; pass++) {
    for (const [name, engine] of Object.entries(engines)) {
      const t = performance.now();
      for (const query of queries) await engine.search(query, 10, ef);
      ms.set(name, ms.get(name)! + performance.now() - t);
    }
  }
  const qps = Object.fromEntries([...ms].map(([name, total]) => [name, Math.round((3 * flags.queries * 1000) / total)]));
  process.stdout.write(`${JSON.stringify({ n, dim, m: flags.m, efConstruction: flags['ef-construction'], efSearch: ef, qps, serviceOverRaw: Number((qps.service / qps.raw).toFixed(3)), loadAverage: os.loadavg()[0] })}\n`);
}
