import { readFile } from 'node:fs/promises';
import { INestApplication } from '@nestjs/common';
import { PgvectorServer, startPgvectorServer } from '../../bench/pglite-pgvector.server.js';
import { startApiServer } from '../support/api-server.js';
import { GraphqlClient } from '../support/graphql-client.js';
import { londonPhoto } from '../support/shared-data.js';
import { createTestDatabase, queryDatabase, testConfig } from '../support/test-app.js';

const CREATE_GALLERY = 'mutation($name: String!) { createGallery(input: { name: $name }) { id } }';
const ENROLL = 'mutation($input: FaceEnrollInput!) { enrollFace(input: $input) { identity { externalId } faces { id } } }';
const IDENTIFY = 'query($input: IdentifyInput!) { identify(input: $input) { faces { decision candidates { identity { externalId } faceId } } } }';
const DELETE_FACE = 'mutation($id: ID!) { deleteFace(id: $id) { id } }';

const base64 = async (person: number, set: 'neutral_front' | 'smiling_front' = 'neutral_front') => (await readFile(londonPhoto(set, person))).toString('base64');

/** The API booted with INDEX_BACKEND=pgvector (PGlite + pgvector): enroll → identify → delete over GraphQL, the index in the store. */
describe('API with the pgvector index backend (end to end)', () => {
  let pgvector: PgvectorServer;
  let app: INestApplication;
  let api: GraphqlClient;
  let baseUrl: string;
  let galleryId: string;

  beforeAll(async () => {
    pgvector = await startPgvectorServer();
    const databaseUrl = await createTestDatabase('e2e_pgvector');
    ({ app, api, baseUrl } = await startApiServer(testConfig(databaseUrl, { INDEX_BACKEND: 'pgvector', PGVECTOR_URL: pgvector.url })));
    galleryId = (await api.request(CREATE_GALLERY, { name: 'pgvector' })).data!.createGallery.id;
  });

  afterAll(async () => {
    await app?.close();
    await pgvector?.stop();
  });

  it('identifies enrolled people from the pgvector store, and forgets a deleted face at once', async () => {
    const enrolled: string[] = [];
    for (const person of [1, 2, 3]) {
      const response = await api.request(ENROLL, { input: { galleryId, externalId: `p${person}`, imageBase64: await base64(person) } });
      expect(response.errors).toBeUndefined();
      enrolled.push(response.data!.enrollFace.faces[0].id);
    }
    const health = await (await fetch(`${baseUrl}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', indexedFaces: 3 });
    const rows = await queryDatabase<{ count: string }>(pgvector.url, 'SELECT count(*) FROM face_index_entries');
    expect(rows[0].count).toBe('3');

    const identify = async () => (await api.request(IDENTIFY, { input: { galleryId, imageBase64: await base64(2, 'smiling_front'), k: 3 } })).data!.identify.faces[0];
    const face = await identify();
    expect(face.decision).toBe('MATCH');
    expect(face.candidates[0]).toEqual({ identity: { externalId: 'p2' }, faceId: enrolled[1] });
    expect(face.candidates).toHaveLength(3);

    expect((await api.request(DELETE_FACE, { id: enrolled[1] })).errors).toBeUndefined();
    const after = await identify();
    expect(after.decision).toBe('UNKNOWN');
    expect(after.candidates.map((c: { faceId: string }) => c.faceId)).not.toContain(enrolled[1]);
  });
});
