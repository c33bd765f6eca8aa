import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { decodeEmbedding, StoredEmbedding } from '../../libs/database/src/index.js';
import {
  EnrollmentService, GalleryService, IndexBoot, MatchDecision, RecognitionModule, SearchService,
} from '../../libs/recognition/src/index.js';
import { LondonSet, londonPhoto } from '../support/shared-data.js';
import { bootModule, createTestDatabase, defaultTenantId, queryDatabase, testConfig, hnswIndex } from '../support/test-app.js';

/**
 * Index snapshots (DATA_DIR/index-snapshots): written on shutdown and after a rebuild, loaded at
 * boot with only the later outbox changes replayed, and refused — with a full rebuild from
 * Postgres and the reason — when missing, damaged, of another model or graph setting, too old for
 * the outbox, or out of step with Postgres. An erased face leaves the files at the next snapshot.
 */
describe('index snapshots (integration, real Postgres)', () => {
  let databaseUrl: string;
  let dataDir: string;
  let app: INestApplication | undefined;
  let tenantId: string;
  let galleryId: string;

  const snapshotsDir = () => join(dataDir, 'index-snapshots');
  async function snapshotPath(): Promise<string> {
    const names = (await readdir(snapshotsDir())).filter((name) => name.startsWith('snapshot-'));
    expect(names).toHaveLength(1); // older ones are deleted
    return join(snapshotsDir(), names[0]);
  }

  /** Shuts the app down (which writes a snapshot when its index changed). */
  async function stop(): Promise<void> {
    await app?.close();
    app = undefined;
  }

  /**
   * Boots the recognition module with snapshots on (unless `env` says otherwise); returns how its
   * index came to be. Galleries get a graph from their first face (EXACT_SEARCH_MAX_FACES=0), so the
   * snapshot holds graph files, unless `env` says otherwise.
   */
  async function boot(env: Record<string, string> = {}): Promise<IndexBoot> {
    await stop();
    app = await bootModule(
      RecognitionModule,
      testConfig(databaseUrl, { DATA_DIR: dataDir, INDEX_SNAPSHOT_INTERVAL_SECONDS: '600', EXACT_SEARCH_MAX_FACES: '0', ...env }),
    );
    await app.init();
    return hnswIndex(app).boot!;
  }

  async function enroll(externalId: string, set: LondonSet, person: number) {
    return app!.get(EnrollmentService).enrollFace({ tenantId, galleryId, externalId, image: await readFile(londonPhoto(set, person)) });
  }

  /** The externalId a smiling photo of `person` is identified as, or null. */
  async function identify(person: number): Promise<string | null> {
    const { faces } = await app!.get(SearchService).identify({ tenantId, galleryId, image: await readFile(londonPhoto('smiling_front', person)), k: 3 });
    return faces[0].decision === MatchDecision.MATCH ? faces[0].candidates[0].identity.externalId : null;
  }

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('snapshots');
    dataDir = await mkdtemp(join(tmpdir(), 'facerec-snapshots-'));
    expect(await boot()).toMatchObject({ source: 'postgres', faces: 0, snapshotRejected: expect.stringMatching(/^no snapshot in /) });
    tenantId = await defaultTenantId(app!);
    galleryId = (await app!.get(GalleryService).createGallery(tenantId, 'snapshots')).id;
    for (const person of [1, 2, 3]) await enroll(`person-${person}`, 'neutral_front', person);
  });

  afterAll(async () => {
    await stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('boots from the snapshot written on shutdown, replaying only the changes another process made since', async () => {
    await stop();
    const watermark = Number(/snapshot-(\d+)/.exec(await snapshotPath())![1]);
    // Another process, without snapshots: one enrollment, one deletion.
    await boot({ INDEX_SNAPSHOT_INTERVAL_SECONDS: '0' });
    await enroll('person-4', 'neutral_front', 4);
    const [first] = await app!.get(GalleryService).facesOf((await app!.get(GalleryService).getIdentity({ tenantId, galleryId }, 'person-1')).id);
    await app!.get(GalleryService).deleteFace(tenantId, first.id);
    await stop();
    expect((await readdir(snapshotsDir())).filter((name) => name.startsWith('snapshot-'))).toEqual([`snapshot-${String(watermark).padStart(20, '0')}`]);

    expect(await boot()).toMatchObject({ source: 'snapshot', faces: 3, replayedChanges: 2 });
    expect(hnswIndex(app!).appliedChangeId).toBe(watermark + 2);
    expect(await identify(4)).toBe('person-4');
    expect(await identify(2)).toBe('person-2');
    expect(await identify(1)).toBeNull();
    await stop(); // snapshots the replayed changes
    expect(await boot()).toMatchObject({ source: 'snapshot', faces: 3, replayedChanges: 0 });
  });

  /** The one gallery's graph file. */
  const GRAPH = 'graph-0.hnsw';
  const flipByte = async (path: string) => {
    const bytes = await readFile(path);
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(path, bytes);
  };
  /** A manifest edited consistently (its own checksum recomputed), as another version's would be. */
  const rewriteManifest = async (dir: string, edit: (manifest: Record<string, any>) => void) => {
    const { sha256: _, ...body } = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    edit(body);
    const sha256 = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...body, sha256 }));
  };

  const rejections: [string, (dir: string) => Promise<unknown>, RegExp, Record<string, string>?][] = [
    ['missing', () => rm(snapshotsDir(), { recursive: true }), /^no snapshot in /],
    ['truncated', async (dir) => truncate(join(dir, GRAPH), (await stat(join(dir, GRAPH))).size - 100), /graph-0\.hnsw is unreadable: truncated/],
    ['a flipped byte in the graph', (dir) => flipByte(join(dir, GRAPH)), /graph-0\.hnsw does not match its checksum/],
    ['a flipped byte in the labels', (dir) => flipByte(join(dir, 'labels.bin')), /labels\.bin does not match its checksum/],
    ['an edited manifest', (dir) => flipByte(join(dir, 'manifest.json')), /manifest\.json (does not match its checksum|is missing or unreadable)/],
    [
      'another model version',
      (dir) => rewriteManifest(dir, (m) => (m.model.sha256 = randomBytes(32).toString('hex'))),
      /holds embeddings of model mobilefacenet-128 .*, this process runs mobilefacenet-128 /,
    ],
    ['another database', (dir) => rewriteManifest(dir, (m) => (m.databaseId = '00000000-0000-4000-8000-000000000000')), /taken of another database/],
    [
      'older than the outbox keeps',
      () => queryDatabase(databaseUrl, 'UPDATE index_change_state SET pruned_through = (SELECT max(id) FROM index_changes) + 1'),
      /older than the outbox retention/,
    ],
    [
      'out of step with Postgres (a row deleted behind the outbox)',
      () => queryDatabase(databaseUrl, `DELETE FROM embeddings WHERE id = (SELECT max(id) FROM embeddings)`),
      /disagrees with Postgres after replaying 0 changes: it holds 3 faces, Postgres 2/,
    ],
    [
      'out of step with Postgres (a vector changed behind the outbox)',
      () => queryDatabase(databaseUrl, `UPDATE embeddings SET codes = decode(repeat('01', 128), 'hex'), scale = 100 WHERE id = (SELECT min(id) FROM embeddings)`),
      /disagrees with Postgres after replaying 0 changes: face \d+ has another vector in Postgres/,
    ],
    // Last: the snapshot it leaves behind has the other setting.
    ['another graph setting', async () => undefined, /built with HNSW_M=\d+, .*configured: 7/, { HNSW_M: '7' }],
  ];

  it.each(rejections)('rebuilds from Postgres, saying why, when the snapshot is %s', async (_, damage, reason, env = {}) => {
    await stop();
    await damage(await snapshotPath());
    const faces = Number((await queryDatabase<{ n: number }>(databaseUrl, 'SELECT count(*)::int AS n FROM embeddings'))[0].n);
    expect(await boot(env)).toMatchObject({ source: 'postgres', faces, snapshotRejected: expect.stringMatching(reason) });
    await queryDatabase(databaseUrl, 'UPDATE index_change_state SET pruned_through = 0');
    // The rebuild is snapshotted at once, and that snapshot is good.
    expect(await boot(env)).toMatchObject({ source: 'snapshot', faces, replayedChanges: 0 });
  });

  it('keeps galleries searched exactly as plain vectors in the snapshot, checked like the graphs', async () => {
    const exact = { EXACT_SEARCH_MAX_FACES: '2000' };
    // (person-3 is the one whose face the cases above left intact in Postgres.)
    const faces = Number((await queryDatabase<{ n: number }>(databaseUrl, 'SELECT count(*)::int AS n FROM embeddings'))[0].n);
    // Whatever the snapshot on disk holds, under this setting the gallery is held as plain vectors.
    expect(await boot(exact)).toMatchObject({ faces });
    await hnswIndex(app!).snapshotNow();
    expect((await readdir(await snapshotPath())).sort()).toEqual(['labels.bin', 'manifest.json', 'vectors.bin']);
    expect(await boot(exact)).toMatchObject({ source: 'snapshot', faces, replayedChanges: 0 });
    expect(await identify(3)).toBe('person-3');

    await stop();
    await flipByte(join(await snapshotPath(), 'vectors.bin'));
    expect(await boot(exact)).toMatchObject({ source: 'postgres', faces, snapshotRejected: expect.stringMatching(/vectors\.bin does not match its checksum/) });
    expect(await identify(3)).toBe('person-3');
    // Back to graphs for what follows.
    expect(await boot()).toMatchObject({ source: 'snapshot', faces });
    await hnswIndex(app!).snapshotNow();
    expect(await readdir(await snapshotPath())).toContain(GRAPH);
  });

  it('keeps no trace of an erased face in the snapshot files after the next snapshot', async () => {
    await boot();
    // A label whose bytes cannot occur by chance in the files (hnswlib-node keeps 32-bit labels).
    await queryDatabase(databaseUrl, 'ALTER SEQUENCE embeddings_id_seq RESTART WITH 3987654321');
    await enroll('erase-me', 'neutral_front', 5);
    const [stored] = await queryDatabase<StoredEmbedding>(databaseUrl, 'SELECT codes, scale FROM embeddings WHERE id = 3987654321');
    const traces = {
      // The index holds the vector restored from its int8 form.
      vector: Buffer.from(decodeEmbedding(stored).buffer),
      label: Buffer.from(BigUint64Array.of(3987654321n).buffer),
      labelAsDouble: Buffer.from(Float64Array.of(3987654321).buffer),
    };
    const tracesIn = async () => {
      const found = new Set<string>();
      const dir = await snapshotPath();
      for (const file of await readdir(dir)) {
        const bytes = await readFile(join(dir, file));
        for (const [name, trace] of Object.entries(traces)) if (bytes.includes(trace)) found.add(name);
      }
      return [...found].sort();
    };
    const index = hnswIndex(app!);
    await index.snapshotNow();
    expect(await tracesIn()).toEqual(['label', 'labelAsDouble', 'vector']);

    await app!.get(GalleryService).eraseIdentity({ tenantId, galleryId }, 'erase-me');
    await index.snapshotNow();
    expect(await tracesIn()).toEqual([]);
    await stop();
    expect(await tracesIn()).toEqual([]);
    expect(await boot()).toMatchObject({ source: 'snapshot' });
    expect(await identify(5)).toBeNull();
  });
});
