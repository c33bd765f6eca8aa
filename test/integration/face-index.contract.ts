import { INestApplication } from '@nestjs/common';
import { dot, ErrorCode } from '../../libs/common/src/index.js';
import { EmbeddingRepository, FaceRepository, NewFace } from '../../libs/database/src/index.js';
import { FaceAnalysisService, FaceHit, FaceIndex, GalleryService, RecognitionModule } from '../../libs/recognition/src/index.js';
import { SyntheticFaces } from '../../libs/vector-index/src/synthetic-faces.js';
import { bootModule, createTestDatabase, defaultTenantId, queryDatabase, testConfig } from '../support/test-app.js';

/** A backend under contract: the environment that selects it (read once its own servers are up). */
export interface FaceIndexBackend {
  name: string;
  env(): Record<string, string>;
}

interface Stored {
  identityId: string;
  faceId: string;
  label: number;
  changeId: number;
}

const DIMENSION = 128;

/**
 * One contract for every face index backend, exercised through the port (FaceIndex) of the real
 * RecognitionModule on a real Postgres: faces are stored as enrollments store them (FaceRepository,
 * outbox included) with seeded synthetic embeddings, and the index follows the outbox. Small
 * galleries are searched through the graph too (EXACT_SEARCH_MAX_FACES=0).
 */
export function describeFaceIndexContract(backend: FaceIndexBackend): void {
  describe(`face index contract: ${backend.name}`, () => {
    let databaseUrl: string;
    let app: INestApplication;
    let tenantId: string;
    let model: string;
    let detectorId: string;
    let sequence = 0;
    const faces = new SyntheticFaces(DIMENSION, 400, 20_251_130);

    const boot = async (url = databaseUrl) => {
      const booted = await bootModule(RecognitionModule, testConfig(url, { ...backend.env(), EXACT_SEARCH_MAX_FACES: '0', INDEX_POLL_INTERVAL_MS: '100' }));
      await booted.init();
      return booted;
    };
    const index = () => app.get(FaceIndex);
    const gallery = async (name: string) => (await app.get(GalleryService).createGallery(tenantId, `${name}-${sequence++}`)).id;

    /** Stores a face as an enrollment does (one transaction with its outbox change), without waiting for the index. */
    async function store(galleryId: string, externalId: string, vector: Float32Array): Promise<Stored> {
      const enrolled = await app.get(FaceRepository).enroll({
        tenantId, galleryId, externalId, face: syntheticFace(detectorId, sequence++), embedding: { modelVersionId: model, vector },
      });
      return { identityId: enrolled.identity.id, faceId: enrolled.face.id, label: enrolled.embeddingLabel, changeId: enrolled.changeId };
    }

    /** Stores and waits for this process's index, as EnrollmentService does. */
    async function enroll(galleryId: string, externalId: string, vector: Float32Array): Promise<Stored> {
      const stored = await store(galleryId, externalId, vector);
      await index().catchUp(stored.changeId);
      return stored;
    }

    const search = (galleryId: string, vector: Float32Array, k = 5) => index().searchIdentities(galleryId, vector, k);
    const identitiesOf = (hits: FaceHit[]) => hits.map((hit) => hit.identityId);

    beforeAll(async () => {
      databaseUrl = await createTestDatabase(`contract_${backend.name}`);
      app = await boot();
      tenantId = await defaultTenantId(app);
      model = index().modelVersionId;
      detectorId = app.get(FaceAnalysisService).detectorId;
    });

    afterAll(() => app?.close());

    it('is ready, empty, and indexes the active model', async () => {
      expect(index().isReady).toBe(true);
      expect(index().size).toBe(0);
      expect(model).toBe(app.get(FaceAnalysisService).embedderId);
      expect(await search(await gallery('empty'), faces.sample(0))).toEqual([]);
    });

    it('finds what this process stored as soon as catchUp returns, in its gallery only', async () => {
      const [a, b] = [await gallery('a'), await gallery('b')];
      const alice = await enroll(a, 'alice', faces.sample(1));
      const bob = await enroll(b, 'bob', faces.sample(2));
      const query = faces.sample(1);
      const [hit] = await search(a, query);
      expect(hit).toMatchObject({ identityId: alice.identityId, faceId: alice.faceId, label: alice.label });
      expect(hit.similarity).toBeCloseTo(dot(query, await storedVector(alice)), 5);
      // Bob is the nearest in his gallery, and never an answer in Alice's, however close the query.
      expect(identitiesOf(await search(b, query))).toEqual([bob.identityId]);
      expect(identitiesOf(await search(a, faces.sample(2)))).toEqual([alice.identityId]);
      expect(index().size).toBe(2);
    });

    it('answers one hit per identity, by its best face, best first, at most k', async () => {
      const g = await gallery('grouping');
      const carol = [await enroll(g, 'carol', faces.sample(3)), await enroll(g, 'carol', faces.sample(3)), await enroll(g, 'carol', faces.sample(3))];
      const others = [];
      for (let id = 4; id < 10; id++) others.push(await enroll(g, `p${id}`, faces.sample(id)));
      const query = faces.sample(3);
      const hits = await search(g, query, 4);
      expect(hits).toHaveLength(4);
      expect(new Set(identitiesOf(hits)).size).toBe(4);
      expect(hits.map((h) => h.similarity)).toEqual([...hits.map((h) => h.similarity)].sort((x, y) => y - x));
      const similarities = await Promise.all(carol.map(async (face) => dot(query, await storedVector(face))));
      const best = carol[similarities.indexOf(Math.max(...similarities))];
      expect(hits[0]).toMatchObject({ identityId: best.identityId, faceId: best.faceId });
      // Fewer identities than k: every one, once.
      expect(new Set(identitiesOf(await search(g, query, 50)))).toEqual(new Set([best.identityId, ...others.map((o) => o.identityId)]));
    });

    it('forgets a deleted face, an erased identity and a deleted gallery before the deletion returns', async () => {
      const galleries = app.get(GalleryService);
      const g = await gallery('removals');
      const dave = [await enroll(g, 'dave', faces.sample(10)), await enroll(g, 'dave', faces.sample(10))];
      const erin = await enroll(g, 'erin', faces.sample(11));
      const size = index().size;

      await galleries.deleteFace(tenantId, dave[0].faceId);
      expect(index().size).toBe(size - 1);
      expect(await search(g, faces.sample(10), 1)).toEqual([expect.objectContaining({ faceId: dave[1].faceId })]);

      await galleries.eraseIdentity({ tenantId, galleryId: g }, 'dave');
      expect(identitiesOf(await search(g, faces.sample(10)))).toEqual([erin.identityId]);

      await galleries.deleteGallery(tenantId, g);
      expect(await search(g, faces.sample(11))).toEqual([]);
      expect(index().size).toBe(size - 3);
    });

    it('replaces an identity\'s face: the new one answers, the old one never again', async () => {
      const g = await gallery('replace');
      const old = await enroll(g, 'frank', faces.sample(12));
      await app.get(GalleryService).deleteFace(tenantId, old.faceId);
      const replacement = await enroll(g, 'frank', faces.sample(12));
      const hits = await search(g, faces.sample(12));
      expect(hits).toEqual([expect.objectContaining({ identityId: old.identityId, faceId: replacement.faceId, label: replacement.label })]);
    });

    it('applies changes idempotently: a repeated add or removal changes nothing', async () => {
      const g = await gallery('idempotent');
      const grace = await enroll(g, 'grace', faces.sample(13));
      const gone = await enroll(g, 'gone', faces.sample(14));
      await app.get(GalleryService).deleteFace(tenantId, gone.faceId);
      const size = index().size;
      // As a process replaying the outbox after a crash would see them: the same add and removal again.
      const [{ id }] = await queryDatabase<{ id: string }>(
        databaseUrl,
        `WITH added AS (INSERT INTO index_changes (op, embedding_id, model_version_id) VALUES ('add', $1, $3), ('remove', $2, $3) RETURNING id)
         SELECT max(id) AS id FROM added`,
        [grace.label, gone.label, model],
      );
      await index().catchUp(Number(id));
      expect(index().size).toBe(size);
      expect(identitiesOf(await search(g, faces.sample(13)))).toEqual([grace.identityId]);
    });

    it("follows another process's writes within a poll", async () => {
      const g = await gallery('elsewhere');
      const size = index().size;
      // Stored without catchUp: only the poll of the outbox can bring it in.
      const henry = await store(g, 'henry', faces.sample(15));
      const deadline = Date.now() + 5000;
      while (index().size !== size + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(identitiesOf(await search(g, faces.sample(15)))).toEqual([henry.identityId]);
    });

    it('matches brute force on a seeded face-like set (recall@10 of identities ≥ 0.95)', async () => {
      const g = await gallery('recall');
      const distractors = await gallery('recall-other');
      const labels = new Map<number, string>();
      const vectors = new Map<number, Float32Array>();
      let last = 0;
      for (let id = 100; id < 300; id++) {
        for (let face = 0; face <= id % 3; face++) {
          const vector = faces.sample(id);
          const stored = await store(g, `r${id}`, vector);
          labels.set(stored.label, stored.identityId);
          vectors.set(stored.label, vector);
          last = stored.changeId;
        }
        last = (await store(distractors, `d${id}`, faces.sample(id + 100))).changeId;
      }
      await index().catchUp(last);
      let recalled = 0;
      let topOne = 0;
      const queries = 60;
      for (let q = 0; q < queries; q++) {
        const query = faces.sample(100 + ((q * 7) % 200));
        const exact = bestPerIdentity(vectors, labels, query).slice(0, 10);
        const found = identitiesOf(await search(g, query, 10));
        recalled += exact.filter((identity) => found.includes(identity)).length / exact.length;
        if (found[0] === exact[0]) topOne++;
      }
      expect(recalled / queries).toBeGreaterThanOrEqual(0.95);
      expect(topOne / queries).toBeGreaterThanOrEqual(0.95);
    });

    it('boots again from the existing state with the same answers', async () => {
      const g = await gallery('restart');
      const ivan = await enroll(g, 'ivan', faces.sample(16));
      const query = faces.sample(16);
      const before = { size: index().size, hits: await search(g, query) };
      await app.close();
      app = await boot();
      expect({ size: index().size, hits: await search(g, query) }).toEqual(before);
      expect(before.hits[0].faceId).toBe(ivan.faceId);
    });

    it('refuses an embedding whose dimension is not the model\'s (DIMENSION_MISMATCH), leaving the index as it was', async () => {
      const url = await createTestDatabase(`contract_dim_${backend.name}`);
      let other = await boot(url);
      try {
        const otherTenant = await defaultTenantId(other);
        const g = (await other.get(GalleryService).createGallery(otherTenant, 'dimensions')).id;
        const put = (externalId: string, vector: Float32Array) =>
          other.get(FaceRepository).enroll({
            tenantId: otherTenant, galleryId: g, externalId, face: syntheticFace(detectorId, sequence++), embedding: { modelVersionId: model, vector },
          });
        const kept = await put('kept', faces.sample(17));
        await other.get(FaceIndex).catchUp(kept.changeId);
        const wrong = await put('wrong', faces.sample(18).subarray(0, 64));
        await other.get(FaceIndex).catchUp(wrong.changeId); // logged, not thrown: the write is durable either way
        expect(other.get(FaceIndex).size).toBe(1);
        expect(identitiesOf(await other.get(FaceIndex).searchIdentities(g, faces.sample(17), 5))).toEqual([kept.identity.id]);
      } finally {
        await other.close();
      }
      other = await bootModule(RecognitionModule, testConfig(url, backend.env()));
      try {
        await expect(other.init()).rejects.toMatchObject({ code: ErrorCode.DIMENSION_MISMATCH });
      } finally {
        await other.close();
      }
    });

    /** The vector as stored (as the index reads it back from Postgres). */
    async function storedVector({ identityId, label }: Stored): Promise<Float32Array> {
      return (await app.get(EmbeddingRepository).forIdentity(identityId, model)).find((e) => e.label === label)!.vector;
    }
  });
}

/** Identities by their best face's similarity to `query`, exactly. */
function bestPerIdentity(vectors: Map<number, Float32Array>, identities: Map<number, string>, query: Float32Array): string[] {
  const best = new Map<string, number>();
  for (const [label, vector] of vectors) {
    const identity = identities.get(label)!;
    best.set(identity, Math.max(best.get(identity) ?? -Infinity, dot(query, vector)));
  }
  return [...best].sort((a, b) => b[1] - a[1]).map(([identity]) => identity);
}

/** A face row as the detector would describe it; the index only reads its ids. */
export function syntheticFace(detectorModelId: string, n: number): NewFace {
  return {
    box: { x: 0, y: 0, width: 112, height: 112 },
    landmarks: [38, 52, 74, 52, 56, 72, 42, 92, 70, 92],
    detectorScore: 0.99,
    detectorModelId,
    sourceSha256: n.toString(16).padStart(64, '0'),
    sourceWidth: 112,
    sourceHeight: 112,
    crop: Buffer.from([n & 0xff]),
    cropFormat: 'png',
    cropTemplate: 'synthetic',
  };
}
