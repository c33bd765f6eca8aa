import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphqlClient } from '../support/graphql-client.js';
import { freePort, ServerProcess, startServer, stopServer, waitForHealth } from '../../bench/server-process.js';
import { londonPhoto, MANIFEST_DIR, MODEL_DIR } from '../support/shared-data.js';
import { createTestDatabase, queryDatabase } from '../support/test-app.js';

/** Longest a change made through one process may take to reach the other's index (issue 5). */
const REPLICA_DELAY_MS = 1000;

interface Replica {
  server: ServerProcess;
  baseUrl: string;
  api: GraphqlClient;
}

/**
 * Two real server processes on one Postgres, each with its own in-memory index: what one enrolls or
 * deletes, the other finds (or stops finding) within a second, also when its change notifications
 * are cut off. Uses the build output (`npm test` builds first).
 */
describe('two API processes on one database (end to end)', () => {
  const dataDir = join(tmpdir(), `facerec-e2e-replicas-${randomBytes(6).toString('hex')}`);
  let databaseUrl: string;
  let a: Replica;
  let b: Replica;
  let galleryId: string;

  async function startReplica(databaseUrl: string): Promise<Replica> {
    const port = await freePort();
    const server = startServer({
      PORT: String(port), DATABASE_URL: databaseUrl, DATA_DIR: dataDir, MODEL_DIR, MODEL_MANIFEST_DIR: MANIFEST_DIR, ORT_INTRA_OP_THREADS: '1', LOG_LEVEL: 'log',
    });
    const baseUrl = `http://127.0.0.1:${port}`;
    return { server, baseUrl, api: new GraphqlClient(baseUrl) };
  }

  const indexedFaces = async (replica: Replica) => ((await (await fetch(`${replica.baseUrl}/health`)).json()) as { indexedFaces: number }).indexedFaces;

  /** Milliseconds until `replica` holds `faces` faces; fails past REPLICA_DELAY_MS. */
  async function followed(replica: Replica, faces: number): Promise<number> {
    const started = Date.now();
    while ((await indexedFaces(replica)) !== faces) {
      if (Date.now() - started > REPLICA_DELAY_MS) throw new Error(`not ${faces} faces after ${REPLICA_DELAY_MS} ms:\n${replica.server.output()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return Date.now() - started;
  }

  async function enroll(replica: Replica, externalId: string, person: number): Promise<void> {
    const enrolled = await replica.api.request('mutation($i: FaceEnrollInput!) { enrollFace(input: $i) { identity { id } } }', {
      i: { galleryId, externalId, imageBase64: (await readFile(londonPhoto('neutral_front', person))).toString('base64') },
    });
    expect(enrolled.errors).toBeUndefined();
  }

  async function identify(replica: Replica, person: number): Promise<string | null> {
    const response = await replica.api.request(
      'query($i: IdentifyInput!) { identify(input: $i) { faces { decision candidates { identity { externalId } } } } }',
      { i: { galleryId, imageBase64: (await readFile(londonPhoto('smiling_front', person))).toString('base64') } },
    );
    const [face] = response.data!.identify.faces;
    return face.decision === 'MATCH' ? face.candidates[0].identity.externalId : null;
  }

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('replicas');
    [a, b] = [await startReplica(databaseUrl), await startReplica(databaseUrl)];
    await Promise.all([waitForHealth(a.baseUrl, a.server), waitForHealth(b.baseUrl, b.server)]);
    galleryId = (await a.api.request('mutation { createGallery(input: { name: "shared" }) { id } }')).data!.createGallery.id;
  });

  afterAll(async () => {
    await Promise.all([a, b].filter(Boolean).map((r) => stopServer(r.server)));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('finds in B, within a second, a face enrolled through A', async () => {
    await enroll(a, 'person-1', 1);
    await followed(b, 1);
    expect(await identify(b, 1)).toBe('person-1');
  });

  it('stops finding in B, within a second, an identity erased through A', async () => {
    await enroll(b, 'person-2', 2);
    await followed(a, 2);
    const erased = await a.api.request('mutation($g: ID!) { eraseIdentity(input: { galleryId: $g, externalId: "person-1" }) { erasedFaces } }', { g: galleryId });
    expect(erased.errors).toBeUndefined();
    await followed(b, 1);
    expect(await identify(b, 1)).toBeNull();
    expect(await identify(b, 2)).toBe('person-2');
  });

  it('still follows within a second when its change notifications are cut off (polling), and listens again', async () => {
    const listeners = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`;
    expect((await queryDatabase(databaseUrl, listeners)).length).toBe(2);
    await enroll(a, 'person-3', 3);
    await followed(b, 2);
    expect(await identify(b, 3)).toBe('person-3');
    // The next poll subscribes again.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await queryDatabase(databaseUrl, listeners.replace('pg_terminate_backend(pid)', 'pid'))).length).toBe(2);
  });
});
