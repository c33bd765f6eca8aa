import { readFile } from 'node:fs/promises';
import { INestApplication } from '@nestjs/common';
import { IndexChangeRepository, TenantRepository } from '../../libs/database/src/index.js';
import { EnrollmentService, GalleryService, RecognitionModule } from '../../libs/recognition/src/index.js';
import { LondonSet, londonPhoto } from '../support/shared-data.js';
import { bootModule, createTestDatabase, defaultTenantId, queryDatabase, rowCounts, testConfig, hnswIndex } from '../support/test-app.js';

interface ChangeRow {
  id: string;
  op: string;
  embedding_id: string;
  model_version_id: string;
}

/**
 * The `index_changes` outbox: every enrollment and deletion writes its index changes in its own
 * transaction (all or nothing with the data), and the index follows changes whoever wrote them.
 */
describe('index change outbox (integration, real Postgres)', () => {
  let databaseUrl: string;
  let app: INestApplication;
  let tenantId: string;
  let model: string;

  const changesAfter = (id: number) =>
    queryDatabase<ChangeRow>(databaseUrl, 'SELECT id, op, embedding_id, model_version_id FROM index_changes WHERE id > $1 ORDER BY id', [id]);
  const lastChangeId = async () => Number((await queryDatabase<{ id: string }>(databaseUrl, 'SELECT coalesce(max(id), 0) AS id FROM index_changes'))[0].id);
  const embeddingsOf = async (condition: string, params: unknown[]) =>
    (await queryDatabase<{ id: string }>(databaseUrl, `SELECT e.id FROM embeddings e JOIN faces f ON f.id = e.face_id WHERE ${condition} ORDER BY e.id`, params)).map((r) => r.id);

  async function enroll(galleryId: string, externalId: string, set: LondonSet, person: number, tenant = tenantId) {
    return app.get(EnrollmentService).enrollFace({ tenantId: tenant, galleryId, externalId, image: await readFile(londonPhoto(set, person)) });
  }

  /** Runs `write` and returns the outbox rows it added. */
  async function changesOf(write: () => Promise<unknown>): Promise<Omit<ChangeRow, 'id'>[]> {
    const before = await lastChangeId();
    await write();
    return (await changesAfter(before)).map(({ op, embedding_id, model_version_id }) => ({ op, embedding_id, model_version_id }));
  }

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('outbox');
    app = await bootModule(RecognitionModule, testConfig(databaseUrl, { INDEX_POLL_INTERVAL_MS: '100' }));
    await app.init();
    tenantId = await defaultTenantId(app);
    model = hnswIndex(app).modelVersionId;
  });

  afterAll(() => app?.close());

  it('records an add of the new embedding with each enrollment, applied here before the call returns', async () => {
    const galleryId = (await app.get(GalleryService).createGallery(tenantId, 'adds')).id;
    let faceId = '';
    const changes = await changesOf(async () => (faceId = (await enroll(galleryId, 'p1', 'neutral_front', 1)).faces[0].id));
    expect(changes).toEqual([{ op: 'add', embedding_id: (await embeddingsOf('f.id = $1', [faceId]))[0], model_version_id: model }]);
    const index = hnswIndex(app);
    expect(index.appliedChangeId).toBe(await lastChangeId());
    expect((await index.searchIdentities(galleryId, new Float32Array(128).fill(0.088), 5)).map((hit) => hit.faceId)).toEqual([faceId]);
  });

  it('records a removal of every embedding (every model space) deleted by a face, identity, gallery or tenant deletion', async () => {
    const galleries = app.get(GalleryService);
    const galleryId = (await galleries.createGallery(tenantId, 'removals')).id;
    const twice = await enroll(galleryId, 'twice', 'neutral_front', 2);
    const second = await enroll(galleryId, 'twice', 'smiling_front', 2);
    const other = await enroll(galleryId, 'other', 'neutral_front', 3);
    // A second model space: its embedding goes with the face, and other processes' indexes of that model must hear of it.
    await queryDatabase(databaseUrl, `INSERT INTO model_versions (id, version, kind, dimension, sha256, manifest) VALUES ('other-embedder', '1', 'embedder', 2, repeat('0', 64), '{}')`);
    await queryDatabase(databaseUrl, `INSERT INTO embeddings (face_id, model_version_id, codes, scale) VALUES ($1, 'other-embedder', '\\x7f00', 127)`, [second.faces[0].id]);
    const [mine, theirs] = await embeddingsOf('f.id = $1', [second.faces[0].id]);
    expect(await changesOf(() => galleries.deleteFace(tenantId, second.faces[0].id))).toEqual([
      { op: 'remove', embedding_id: mine, model_version_id: model },
      { op: 'remove', embedding_id: theirs, model_version_id: 'other-embedder' },
    ]);

    const [twiceLabel] = await embeddingsOf('f.identity_id = $1', [twice.identity.id]);
    expect(await changesOf(() => galleries.eraseIdentity({ tenantId, galleryId }, 'twice'))).toEqual([{ op: 'remove', embedding_id: twiceLabel, model_version_id: model }]);

    const [otherLabel] = await embeddingsOf('f.identity_id = $1', [other.identity.id]);
    expect(await changesOf(() => galleries.deleteGallery(tenantId, galleryId))).toEqual([{ op: 'remove', embedding_id: otherLabel, model_version_id: model }]);

    const tenant = await app.get(TenantRepository).create('erased');
    const theirGallery = (await galleries.createGallery(tenant.id, 'theirs')).id;
    await enroll(theirGallery, 'p4', 'neutral_front', 4, tenant.id);
    await enroll(theirGallery, 'p5', 'neutral_front', 5, tenant.id);
    const tenantLabels = await embeddingsOf('f.gallery_id = $1', [theirGallery]);
    const erasure = await changesOf(() => galleries.eraseTenant(tenant.id, tenantId));
    expect(erasure.map((c) => c.embedding_id).sort()).toEqual([...tenantLabels].sort());
    expect(erasure.every((c) => c.op === 'remove')).toBe(true);

    const index = hnswIndex(app);
    expect(index.appliedChangeId).toBe(await lastChangeId());
    expect(index.size).toBe(1); // 'p1' of the first test
  });

  it('writes nothing, outbox included, when the write fails', async () => {
    const before = { ...(await rowCounts(databaseUrl)), changes: await lastChangeId() };
    await expect(enroll('00000000-0000-4000-8000-000000000000', 'nobody', 'neutral_front', 6)).rejects.toThrow(/not found/i);
    expect({ ...(await rowCounts(databaseUrl)), changes: await lastChangeId() }).toEqual(before);
  });

  it('undoes the data change when its index change cannot be recorded (one transaction)', async () => {
    const galleryId = (await app.get(GalleryService).createGallery(tenantId, 'atomic')).id;
    const kept = await enroll(galleryId, 'kept', 'neutral_front', 7);
    // Fails at commit, after the data and the change were both written.
    await queryDatabase(databaseUrl, `
      CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'outbox refused'; END $$;
      CREATE CONSTRAINT TRIGGER refuse_change AFTER INSERT ON index_changes DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_change();`);
    try {
      const before = await rowCounts(databaseUrl);
      await expect(enroll(galleryId, 'lost', 'neutral_front', 8)).rejects.toThrow(/outbox refused/);
      await expect(app.get(GalleryService).deleteFace(tenantId, kept.faces[0].id)).rejects.toThrow(/outbox refused/);
      expect(await rowCounts(databaseUrl)).toEqual(before);
    } finally {
      await queryDatabase(databaseUrl, 'DROP TRIGGER refuse_change ON index_changes; DROP FUNCTION refuse_change()');
    }
  });

  it('applies changes committed by another process within a poll', async () => {
    const galleryId = (await app.get(GalleryService).createGallery(tenantId, 'elsewhere')).id;
    const enrolled = await enroll(galleryId, 'p9', 'neutral_front', 9);
    const [label] = await embeddingsOf('f.id = $1', [enrolled.faces[0].id]);
    const index = hnswIndex(app);
    const size = index.size;
    // Another process's deletion, minus the notification: only the poll can find it.
    await queryDatabase(databaseUrl, `
      BEGIN;
      DELETE FROM embeddings WHERE id = ${label};
      INSERT INTO index_changes (op, embedding_id, model_version_id) VALUES ('remove', ${label}, '${model}');
      COMMIT;`);
    const deadline = Date.now() + 1000;
    while (index.size !== size - 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(index.size).toBe(size - 1);
    expect(index.appliedChangeId).toBe(await lastChangeId());
  });

  it('retention deletes old changes and remembers the highest id it deleted', async () => {
    const ids = (await changesAfter(0)).map((c) => Number(c.id));
    const [lastOld, ...recent] = ids.slice(-3);
    await queryDatabase(databaseUrl, `UPDATE index_changes SET created_at = now() - interval '30 days' WHERE id <= $1`, [lastOld]);
    expect(await app.get(IndexChangeRepository).prune(7)).toBe(ids.length - 2);
    expect((await changesAfter(0)).map((c) => Number(c.id))).toEqual(recent);
    expect((await app.get(IndexChangeRepository).outboxState()).prunedThrough).toBe(lastOld);
  });
});
