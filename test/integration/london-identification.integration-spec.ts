import { readFile } from 'node:fs/promises';
import { INestApplication } from '@nestjs/common';
import { AppConfig } from '../../libs/config/src/index.js';
import { dot } from '../../libs/common/src/index.js';
import { decodeEmbedding } from '../../libs/database/src/index.js';
import { decodeCrop, FACE_ARCHIVE_ALIGNMENT, realignCrop } from '../../libs/inference/src/index.js';
import {
  EnrollmentService, FaceAnalysisService, FaceIndex, GalleryService, MatchDecision, RecognitionModule, SearchService,
} from '../../libs/recognition/src/index.js';
import { lisaPhoto, londonPeople, londonPhoto } from '../support/shared-data.js';
import { bootModule, createTestDatabase, defaultTenantId, queryDatabase, testConfig } from '../support/test-app.js';

const PEOPLE = londonPeople();

/**
 * Real Postgres + real models + real photos: enroll the 102 neutral London portraits, identify the
 * smiling ones, reject a stranger, and survive a restart.
 */
describe('identification on the London set (integration)', () => {
  let databaseUrl: string;
  let config: AppConfig;
  let app: INestApplication;
  let tenantId: string;
  let galleryId: string;

  const start = async () => {
    app = await bootModule(RecognitionModule, config);
    await app.init();
  };

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('london');
    config = testConfig(databaseUrl);
    await start();
    tenantId = await defaultTenantId(app);
    galleryId = (await app.get(GalleryService).createGallery(tenantId, 'london')).id;
    const enrollment = app.get(EnrollmentService);
    for (const person of PEOPLE) {
      await enrollment.enrollFace({
        tenantId,
        galleryId,
        externalId: `person-${person}`,
        displayName: `Person ${person}`,
        image: await readFile(londonPhoto('neutral_front', person)),
      });
    }
  });

  afterAll(() => app?.close());

  async function identifyAll(): Promise<{ correct: number; misses: string[] }> {
    const search = app.get(SearchService);
    let correct = 0;
    const misses: string[] = [];
    for (const person of PEOPLE) {
      const result = await search.identify({ tenantId, galleryId, image: await readFile(londonPhoto('smiling_front', person)), k: 5 });
      const [face] = result.faces;
      const top = face?.candidates[0];
      if (result.faces.length === 1 && face.decision === MatchDecision.MATCH && top.identity.externalId === `person-${person}`) correct++;
      else misses.push(`person-${person} → ${top?.identity.externalId} (${top?.distance.toFixed(3)}, ${face?.decision})`);
    }
    return { correct, misses };
  }

  it('uses all 102 people of the set', () => expect(PEOPLE).toHaveLength(102));

  it('stores one face, crop and embedding per enrollment', async () => {
    const [counts] = await queryDatabase<{ identities: number; faces: number; embeddings: number }>(
      databaseUrl,
      `SELECT (SELECT count(*) FROM identities)::int AS identities, (SELECT count(*) FROM faces)::int AS faces,
              (SELECT count(*) FROM embeddings)::int AS embeddings`,
    );
    expect(counts).toEqual({ identities: 102, faces: 102, embeddings: 102 });
    const [row] = await queryDatabase<{ crop: Buffer; dims: number }>(
      databaseUrl,
      'SELECT f.crop, octet_length(e.codes) AS dims FROM faces f JOIN embeddings e ON e.face_id = f.id LIMIT 1',
    );
    const crop = await decodeCrop(row.crop);
    expect([crop.width, crop.height, row.dims]).toEqual([256, 256, 128]);
    expect(app.get(FaceIndex).size).toBe(102);
  });

  it('keeps crops from which the embedder reproduces every stored embedding (what a model upgrade re-embeds from)', async () => {
    const rows = await queryDatabase<{ crop: Buffer; crop_format: string; crop_template: string; landmarks: number[]; codes: Buffer; scale: number }>(
      databaseUrl,
      'SELECT f.crop, f.crop_format, f.crop_template, f.landmarks, e.codes, e.scale FROM faces f JOIN embeddings e ON e.face_id = f.id ORDER BY f.id',
    );
    expect(new Set(rows.map((r) => `${r.crop_template} ${r.crop_format}`))).toEqual(new Set([`${FACE_ARCHIVE_ALIGNMENT.id} webp`]));
    const analysis = app.get(FaceAnalysisService);
    const realigned = await Promise.all(
      rows.map(async (row) => {
        const landmarks = Array.from({ length: 5 }, (_, i) => ({ x: row.landmarks[2 * i], y: row.landmarks[2 * i + 1] }));
        return realignCrop(await decodeCrop(row.crop), FACE_ARCHIVE_ALIGNMENT, landmarks, analysis.embedderAlignment);
      }),
    );
    expect(Math.min(...realigned.map((r) => r.coverage))).toBe(1);
    const embeddings = await analysis.embedCrops(realigned.map((r) => r.crop));
    const cosines = embeddings.map((e, i) => dot(e, decodeEmbedding(rows[i])));
    // Resampled twice and stored in int8, yet the same vector: far above any threshold's margin.
    expect(Math.min(...cosines)).toBeGreaterThan(0.98);
  });

  it('identifies at least 98% of the smiling photos top-1 as MATCH', async () => {
    const { correct, misses } = await identifyAll();
    if (misses.length) console.log(`London smiling → neutral: ${correct}/${PEOPLE.length} top-1 MATCH; misses: ${misses.join('; ')}`);
    expect(correct / PEOPLE.length).toBeGreaterThanOrEqual(0.98);
  });

  it('answers UNKNOWN for a person who was never enrolled', async () => {
    const search = app.get(SearchService);
    for (const n of [1, 2, 3, 4]) {
      const result = await search.identify({ tenantId, galleryId, image: await readFile(lisaPhoto(n)), k: 3 });
      expect(result.faces.length).toBeGreaterThanOrEqual(1);
      for (const face of result.faces) {
        expect(face.decision).toBe(MatchDecision.UNKNOWN);
        expect(face.candidates).toHaveLength(3); // nearest strangers are still listed, just not matched
        expect(face.candidates[0].distance).toBeGreaterThan(result.threshold);
      }
    }
  });

  it('verifies two photos of one person and tells two people apart', async () => {
    const search = app.get(SearchService);
    const same = await search.verify({ imageA: await readFile(londonPhoto('smiling_front', 7)), imageB: await readFile(londonPhoto('neutral_front', 7)) });
    const different = await search.verify({ imageA: await readFile(londonPhoto('smiling_front', 7)), imageB: await readFile(londonPhoto('neutral_front', 8)) });
    expect(same.same).toBe(true);
    expect(different.same).toBe(false);
    expect(same.distance).toBeCloseTo(2 - 2 * same.similarity, 10);
    const enrolled = await search.verify({ imageA: await readFile(londonPhoto('smiling_front', 7)), tenantId, galleryId, externalId: 'person-007' });
    expect(enrolled.same).toBe(true);
    // The enrolled face rests in int8: its distance is the fresh one's within 0.001.
    expect(Math.abs(enrolled.distance - same.distance)).toBeLessThan(0.001);
  });

  it('still identifies after a restart on the same database, without re-enrolling', async () => {
    await app.close();
    await start();
    expect(app.get(FaceIndex).size).toBe(102);
    const { correct } = await identifyAll();
    expect(correct / PEOPLE.length).toBeGreaterThanOrEqual(0.98);
  });
});
