import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ServerProcess, startServer, waitForHealth } from '../../bench/server-process.js';
import { GraphqlClient } from '../support/graphql-client.js';
import { londonPhoto, MANIFEST_DIR, MODEL_DIR } from '../support/shared-data.js';

/**
 * The real server process as `npm start` runs it: embedded Postgres in a data directory, migrations
 * and models at boot, /health when ready, a clean stop on SIGTERM, and everything still there after
 * a restart. Uses the build output (`npm test` builds first).
 */
describe('server process on embedded defaults (end to end)', () => {
  const dataDir = join(tmpdir(), `facerec-e2e-data-${randomBytes(6).toString('hex')}`);
  let env: Record<string, string>;
  let baseUrl: string;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    const port = await freePort();
    env = {
      PORT: String(port),
      EMBEDDED_PG_PORT: String(await freePort()),
      DATA_DIR: dataDir,
      MODEL_DIR,
      MODEL_MANIFEST_DIR: MANIFEST_DIR,
      ORT_INTRA_OP_THREADS: '1',
      LOG_LEVEL: 'log',
    };
    baseUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    if (server && server.process.exitCode === null) {
      server.process.kill('SIGTERM');
      await server.exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  /** SIGTERM; the server closes Nest, the pool and the embedded Postgres, then ends by that signal (exit status 143). */
  async function stop(s: ServerProcess): Promise<void> {
    s.process.kill('SIGTERM');
    expect([0, 143]).toContain(await s.exited);
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  }

  it('boots, enrolls, stops cleanly, and identifies after a restart (index from its snapshot) without re-enrolling', async () => {
    server = startServer(env);
    expect(await waitForHealth(baseUrl, server)).toMatchObject({ status: 'ok', indexedFaces: 0 });
    expect(server.output()).toMatch(/Applied migrations: InitialSchema/);
    expect(server.output()).toMatch(/Index snapshot not used: no snapshot in .*; rebuilding from Postgres/);
    const api = new GraphqlClient(baseUrl);
    const galleryId = (await api.request('mutation { createGallery(input: { name: "restart" }) { id } }')).data!.createGallery.id;
    for (const person of [1, 2, 3]) {
      const enrolled = await api.request('mutation($i: FaceEnrollInput!) { enrollFace(input: $i) { identity { id } } }', {
        i: { galleryId, externalId: `person-${person}`, imageBase64: (await readFile(londonPhoto('neutral_front', person))).toString('base64') },
      });
      expect(enrolled.errors).toBeUndefined();
    }
    await stop(server);

    server = startServer(env);
    expect(await waitForHealth(baseUrl, server)).toMatchObject({ status: 'ok', indexedFaces: 3 });
    expect(server.output()).not.toMatch(/Applied migrations/);
    expect(server.output()).toMatch(/3 faces from snapshot-\d+ .*, 0 later changes replayed and checked against Postgres/);
    const identified = await api.request('query($i: IdentifyInput!) { identify(input: $i) { faces { decision candidates { identity { externalId } } } } }', {
      i: { galleryId, imageBase64: (await readFile(londonPhoto('smiling_front', 2))).toString('base64') },
    });
    expect(identified.data!.identify.faces[0]).toMatchObject({ decision: 'MATCH', candidates: expect.arrayContaining([{ identity: { externalId: 'person-2' } }]) });
    expect(identified.data!.identify.faces[0].candidates[0].identity.externalId).toBe('person-2');
    await stop(server);
  });

  it('logs neither image bytes nor embeddings, even at the most verbose level', async () => {
    server = startServer({ ...env, LOG_LEVEL: 'verbose' });
    await waitForHealth(baseUrl, server);
    const api = new GraphqlClient(baseUrl);
    const galleryId = (await api.request('mutation { createGallery(input: { name: "logs" }) { id } }')).data!.createGallery.id;
    const photo = (await readFile(londonPhoto('neutral_front', 5))).toString('base64');
    const garbage = Buffer.from('not an image at all, but long enough to be recognised in a log line').toString('base64');
    const vectors = await api.request('mutation($i: FaceEnrollInput!) { enrollFace(input: $i) { faces { id } } }', { i: { galleryId, externalId: 'p5', imageBase64: photo } });
    expect(vectors.errors).toBeUndefined();
    await api.request('query($i: IdentifyInput!) { identify(input: $i) { faces { decision } } }', { i: { galleryId, imageBase64: photo } });
    await api.request('query($i: IdentifyInput!) { identify(input: $i) { faces { decision } } }', { i: { galleryId, imageBase64: garbage } });
    await api.request('query($i: IdentifyInput!) { identify(input: $i) { faces { decision } } }', { i: { galleryId, imageBase64: photo.slice(0, 3000) } });
    await stop(server);
    const output = server.output();
    for (const payload of [photo, garbage]) {
      for (let at = 0; at + 32 <= payload.length; at += 997) expect(output).not.toContain(payload.slice(at, at + 32));
    }
    expect(output).not.toMatch(/(-?\d\.\d{4,}\s*,\s*){8}/); // no run of floats that could be an embedding
  });

  it('refuses to start on invalid configuration, with a readable message', async () => {
    const bad = startServer({ ...env, PORT: 'eighty', DETECTOR_SCORE_THRESHOLD: '2' });
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toMatch(/Invalid environment variables:\n - PORT="eighty"/);
    expect(bad.output()).toMatch(/DETECTOR_SCORE_THRESHOLD/);
    expect(bad.output()).not.toMatch(/\n\s+at /); // no stack trace
  });
});
