import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HnswFileError, scanHnswFile } from './hnsw-file.js';
import { HnswGraph } from './hnsw-graph.js';
import { PartitionedHnswIndex } from './partitioned-hnsw.index.js';
import { SyntheticFaces } from './synthetic-faces.js';

const DIM = 128;
const options = { dimension: DIM, m: 16, efConstruction: 100, efSearch: 64, exactSearchMaxSize: 0 };
/** Labels far from the small integers links and counts are made of, so their bytes can be searched for (hnswlib-node keeps 32 bits). */
const BASE = 3_987_654_000;

const bytesOf = (vector: ArrayLike<number>) => Buffer.from(Float32Array.from(vector).buffer);
const u64 = (label: number) => {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(BigInt(label));
  return bytes;
};

const writeGraph = (index: PartitionedHnswIndex, partition: string, path: string) => index.graphPartitions().find((graph) => graph.partition === partition)!.write(path);

describe('saved HNSW graphs', () => {
  let dir: string;
  const faces = new SyntheticFaces(DIM, 100, 11);
  const vectors = new Map<number, Float32Array>();
  let index: PartitionedHnswIndex;
  const removed = [BASE + 3, BASE + 50, BASE + 51];
  const partitionOf = (label: number) => ((label - BASE) % 2 ? 'odd' : 'even');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hnsw-file-'));
    index = new PartitionedHnswIndex(options);
    for (let i = 0; i < 300; i++) {
      const v = faces.sample(i % 100);
      vectors.set(BASE + i, v);
      index.add(BASE + i, v, i % 2 ? 'odd' : 'even');
    }
    for (const label of removed) index.remove(label);
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('scrubs the vectors and labels of removed elements, keeps the rest, and reads back with the same answers', async () => {
    const paths = { odd: join(dir, 'odd.hnsw'), even: join(dir, 'even.hnsw') };
    for (const [partition, path] of Object.entries(paths)) await writeGraph(index, partition, path);
    const raw = await readFile(paths.odd);
    expect(raw.includes(bytesOf(vectors.get(removed[0])!))).toBe(true); // markDelete alone leaves it there

    const scan = await scanHnswFile(paths.odd, { scrub: true });
    expect(scan).toMatchObject({ dimension: DIM, m: 16, efConstruction: 100, elements: 150, deleted: 2, bytes: raw.length });
    expect([...scan.liveLabels]).toEqual([...vectors.keys()].filter((l) => partitionOf(l) === 'odd' && !removed.includes(l)));
    const scrubbed = await readFile(paths.odd);
    for (const label of [BASE + 3, BASE + 51]) {
      expect(scrubbed.includes(bytesOf(vectors.get(label)!))).toBe(false);
      expect(scrubbed.includes(u64(label))).toBe(false);
    }
    expect(scrubbed.includes(bytesOf(vectors.get(BASE + 5)!))).toBe(true);
    expect((await scanHnswFile(paths.odd, { scrub: false })).sha256).toBe(scan.sha256);
    const even = await scanHnswFile(paths.even, { scrub: true });

    const graphs = [
      { partition: 'odd', path: paths.odd, liveCount: scan.liveLabels.length },
      { partition: 'even', path: paths.even, liveCount: even.liveLabels.length },
    ];
    const labels = [...scan.liveLabels, ...even.liveLabels].map((label) => [label, partitionOf(label)] as const);
    const loaded = await PartitionedHnswIndex.restore(options, graphs, labels, []);
    expect(loaded.size).toBe(297);
    expect(loaded.vector(BASE + 4)).toEqual(Array.from(vectors.get(BASE + 4)!));
    for (let q = 0; q < 20; q++) {
      const query = faces.sample(q);
      expect(loaded.search(query, 5, 'even')).toEqual(index.search(query, 5, 'even'));
      expect(loaded.search(query, 5, 'odd')).toEqual(index.search(query, 5, 'odd'));
    }
    // Scrubbed slots are reused, then the graph grows past its capacity as before.
    for (let i = 0; i < 400; i++) loaded.add(BASE + 1000 + i, faces.sample(i % 100), 'odd');
    expect(loaded.size).toBe(697);
    expect(loaded.search(vectors.get(BASE + 7)!, 1, 'odd')[0].label).toBe(BASE + 7);
  });

  it('reads back an empty graph that can grow', async () => {
    const path = join(dir, 'empty.hnsw');
    await new HnswGraph(options, 16).write(path);
    expect(await scanHnswFile(path, { scrub: true })).toMatchObject({ elements: 0, deleted: 0, liveLabels: new Float64Array(0) });
    const loaded = await HnswGraph.read(options, path, 0);
    for (let i = 0; i < 40; i++) loaded.add(i + 1, Array.from(faces.sample(i)));
    expect(loaded.search(Array.from(faces.centres[3]), 1, 64)[0].label).toBe(4);
  });

  it('refuses truncated files, files with bytes past their end, and files of another format', async () => {
    const path = join(dir, 'damaged.hnsw');
    await writeGraph(index, 'even', path);
    const { bytes } = await scanHnswFile(path, { scrub: false });
    await truncate(path, bytes - 10);
    await expect(scanHnswFile(path, { scrub: false })).rejects.toThrow(/truncated/);
    await truncate(path, 50);
    await expect(scanHnswFile(path, { scrub: false })).rejects.toThrow(HnswFileError);

    await writeGraph(index, 'even', path);
    await writeFile(path, Buffer.alloc(3), { flag: 'a' });
    await expect(scanHnswFile(path, { scrub: false })).rejects.toThrow(/3 bytes past the end/);

    await writeFile(path, randomBytes(4096));
    await expect(scanHnswFile(path, { scrub: false })).rejects.toThrow(HnswFileError);
  });
});
