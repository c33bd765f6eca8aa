import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { INestApplication } from '@nestjs/common';
import { errorCode, GraphqlClient } from '../support/graphql-client.js';
import { londonPhoto, LondonSet } from '../support/shared-data.js';
import { createTestDatabase, testConfig } from '../support/test-app.js';
import { startApiServer } from '../support/api-server.js';

const CREATE_GALLERY = 'mutation($name: String!) { createGallery(input: { name: $name }) { id } }';
const ENROLL = 'mutation($input: FaceEnrollInput!) { enrollFace(input: $input) { identity { id } faces { id } } }';
const CLUSTER = 'query($input: ClusterFacesInput!) { clusterFaces(input: $input) { threshold far linkage modelVersion clusters { faceIds identityIds size } } }';

describe('clusterFaces over HTTP (end to end)', () => {
  let app: INestApplication;
  let api: GraphqlClient;
  let galleryId: string;
  /** Face id → person, for 3 people × (neutral, smiling), each photo enrolled as its own identity. */
  const personOf = new Map<string, number>();

  beforeAll(async () => {
    const config = testConfig(await createTestDatabase('e2e_cluster'));
    ({ app, api } = await startApiServer(config));
    galleryId = (await api.request(CREATE_GALLERY, { name: 'clusters' })).data!.createGallery.id;
    for (const person of [2, 3, 4]) {
      for (const set of ['neutral_front', 'smiling_front'] as LondonSet[]) {
        const imageBase64 = (await readFile(londonPhoto(set, person))).toString('base64');
        const response = await api.request(ENROLL, { input: { galleryId, externalId: `${set}-${person}`, imageBase64 } });
        expect(response.errors).toBeUndefined();
        personOf.set(response.data!.enrollFace.faces[0].id, person);
      }
    }
  });

  afterAll(() => app?.close());

  it('groups 3 people × 2 photos into 3 clusters of one person each', async () => {
    const response = await api.request(CLUSTER, { input: { galleryId } });
    expect(response.errors).toBeUndefined();
    const result = response.data!.clusterFaces;
    expect(result).toMatchObject({ linkage: 'average', far: 0.0001, modelVersion: 'mobilefacenet-128', threshold: expect.any(Number) });
    expect(result.clusters).toHaveLength(3);
    for (const cluster of result.clusters as { faceIds: string[]; identityIds: string[]; size: number }[]) {
      expect(cluster.size).toBe(2);
      expect(cluster.identityIds).toHaveLength(2);
      expect(new Set(cluster.faceIds.map((id) => personOf.get(id))).size).toBe(1);
    }
  });

  it('clusters the given faces only, at a given threshold', async () => {
    const faceIds = [...personOf.keys()].slice(0, 2); // person 2, neutral and smiling
    const response = await api.request(CLUSTER, { input: { galleryId, faceIds, threshold: 0.0001 } });
    expect(response.data!.clusterFaces).toMatchObject({ threshold: 0.0001, far: null });
    expect(response.data!.clusterFaces.clusters.map((c: { size: number }) => c.size)).toEqual([1, 1]);
  });

  it('unknown gallery → NOT_FOUND', async () => {
    expect(errorCode(await api.request(CLUSTER, { input: { galleryId: randomUUID() } }))).toBe('NOT_FOUND');
  });

  it('faceIds that are not faces of the gallery → VALIDATION', async () => {
    const [known] = personOf.keys();
    const missing = randomUUID();
    const response = await api.request(CLUSTER, { input: { galleryId, faceIds: [known, missing] } });
    expect(errorCode(response)).toBe('VALIDATION');
    expect(response.errors![0].extensions).toMatchObject({ details: { missing: [missing] } });
    expect(errorCode(await api.request(CLUSTER, { input: { galleryId, faceIds: ['not-a-uuid'] } }))).toBe('VALIDATION');
  });

  it('assigns a new photo to the right existing cluster, and a stranger to none', async () => {
    const ASSIGN = 'query($input: ClusterAssignInput!) { assignFaceToCluster(input: $input) { clusterIndex distance threshold far face { score } } }';
    // Clusters of the neutral photos only (faces were enrolled neutral first, then smiling, per person).
    const ids = [...personOf.keys()];
    const clusters = [[ids[0]], [ids[2]], [ids[4]]]; // persons 2, 3, 4
    const photo = async (path: string) => (await readFile(path)).toString('base64');
    const smiling3 = await api.request(ASSIGN, { input: { galleryId, clusters, imageBase64: await photo(londonPhoto('smiling_front', 3)) } });
    expect(smiling3.errors).toBeUndefined();
    expect(smiling3.data!.assignFaceToCluster).toMatchObject({ clusterIndex: 1, far: 0.0001 });
    const stranger = await api.request(ASSIGN, { input: { galleryId, clusters, imageBase64: await photo(londonPhoto('smiling_front', 5)) } });
    expect(stranger.data!.assignFaceToCluster).toMatchObject({ clusterIndex: null, distance: null });
    const bad = await api.request(ASSIGN, { input: { galleryId, clusters: [['not-a-uuid']], imageBase64: await photo(londonPhoto('smiling_front', 3)) } });
    expect(errorCode(bad)).toBe('VALIDATION');
  });
});
