import { readFile } from 'node:fs/promises';
import { INestApplication } from '@nestjs/common';
import { AppConfig } from '../../libs/config/src/index.js';
import { clusteringMetrics } from '../../libs/evaluation/src/clustering-metrics.js';
import { ClusteringService, EnrollmentService, GalleryService, RecognitionModule } from '../../libs/recognition/src/index.js';
import { londonPeople, londonPhoto, LondonSet } from '../support/shared-data.js';
import { bootModule, createTestDatabase, defaultTenantId, testConfig } from '../support/test-app.js';

const PEOPLE = londonPeople();
const SETS: LondonSet[] = ['neutral_front', 'smiling_front'];

/**
 * Real Postgres + real models: the 102 London people, neutral and smiling, enrolled as 204 faces of
 * 204 distinct identities (so enrollment gives no hint), clustered back into people.
 */
describe('clustering the London set (integration)', () => {
  let app: INestApplication;
  let config: AppConfig;
  let tenantId: string;
  let galleryId: string;
  /** Face id → true person. */
  const personOf = new Map<string, string>();

  beforeAll(async () => {
    config = testConfig(await createTestDatabase('london_clusters'));
    app = await bootModule(RecognitionModule, config);
    await app.init();
    tenantId = await defaultTenantId(app);
    galleryId = (await app.get(GalleryService).createGallery(tenantId, 'london')).id;
    const enrollment = app.get(EnrollmentService);
    for (const set of SETS) {
      for (const person of PEOPLE) {
        const { faces } = await enrollment.enrollFace({ tenantId, galleryId, externalId: `${set}-${person}`, image: await readFile(londonPhoto(set, person)) });
        personOf.set(faces[0].id, person);
      }
    }
  });

  afterAll(() => app?.close());

  it('groups 204 photos into about one cluster per person (BCubed F1 ≥ 0.95)', async () => {
    const result = await app.get(ClusteringService).clusterFaces({ tenantId, galleryId });
    const faceIds = result.clusters.flatMap((c) => c.faceIds);
    expect(faceIds.sort()).toEqual([...personOf.keys()].sort());
    const predicted = result.clusters.flatMap((c, i) => c.faceIds.map(() => i));
    const metrics = clusteringMetrics(predicted, result.clusters.flatMap((c) => c.faceIds.map((id) => personOf.get(id)!)));
    console.log(`London clustering: ${result.clusters.length} clusters of 204 faces (102 people) at ${result.threshold.toFixed(4)}: ` +
      `BCubed P ${metrics.bcubed.precision.toFixed(4)} R ${metrics.bcubed.recall.toFixed(4)} F1 ${metrics.bcubed.f1.toFixed(4)}`);
    expect(result.clusters.length).toBeGreaterThanOrEqual(95);
    expect(result.clusters.length).toBeLessThanOrEqual(110);
    expect(metrics.bcubed.f1).toBeGreaterThanOrEqual(0.95);
    expect(result).toMatchObject({ linkage: 'average', far: config.defaultFar, modelVersion: 'mobilefacenet-128' });
    for (let i = 1; i < result.clusters.length; i++) expect(result.clusters[i].size).toBeLessThanOrEqual(result.clusters[i - 1].size);
    for (const cluster of result.clusters) expect(cluster.identityIds).toHaveLength(cluster.size); // one identity per photo here
  });

  it('clusters a chosen subset only', async () => {
    const subset = [...personOf.keys()].slice(0, 10);
    const result = await app.get(ClusteringService).clusterFaces({ tenantId, galleryId, faceIds: subset, far: 1e-3 });
    expect(result.clusters.flatMap((c) => c.faceIds).sort()).toEqual([...subset].sort());
    expect(result.far).toBe(1e-3);
  });
});
