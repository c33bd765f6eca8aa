import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { REQUIRED_ROLE } from '../../apps/api/src/auth/access.decorators.js';
import { RESOLVERS } from '../../apps/api/src/api.module.js';
import { startApiServer } from '../support/api-server.js';
import { errorCode, GraphqlClient, GraphqlResponse } from '../support/graphql-client.js';
import { londonPhoto } from '../support/shared-data.js';
import { createTestDatabase, expectRejected as expectRejectedIn, queryDatabase, rowCounts, testConfig } from '../support/test-app.js';

const CLI = resolve('dist/apps/cli/src/main.js');

const CREATE_GALLERY = 'mutation($name: String!) { createGallery(input: { name: $name }) { id } }';
const ENROLL = 'mutation($input: FaceEnrollInput!) { enrollFace(input: $input) { identity { id } faces { id } } }';
const IDENTIFY = 'query($input: IdentifyInput!) { identify(input: $input) { faces { decision candidates { identity { externalId } } } } }';
const CREATE_KEY = 'mutation($input: ApiKeyCreateInput!) { createApiKey(input: $input) { key apiKey { id tenantId role prefix } } }';
const ME = '{ me { keyId tenantId tenantName role } }';
const GALLERIES = '{ galleries { totalCount nodes { id } } }';

const b64 = async (set: 'neutral_front' | 'smiling_front', person: number) => (await readFile(londonPhoto(set, person))).toString('base64');

/** `npm run cli -- keys create …` as a person runs it: the key is the last line of stdout. */
function cliCreateKey(databaseUrl: string, tenant: string, role: string): Promise<string> {
  return new Promise((done, fail) =>
    execFile(process.execPath, [CLI, 'keys', 'create', '--role', role, '--tenant', tenant], { env: { ...process.env, DATABASE_URL: databaseUrl } }, (error, stdout, stderr) =>
      error ? fail(new Error(`${error.message}\n${stderr}`)) : done(stdout.trim().split('\n').at(-1)!),
    ),
  );
}

/**
 * Authentication required (AUTH_MODE=required), two tenants with a key of each role: no key gets in
 * without authenticating, no role does more than it may, and no key reaches the other tenant's data,
 * even by its ids. Every refusal changes nothing; every request leaves an audit entry.
 */
describe('access control: API keys, roles, tenants, audit (end to end)', () => {
  let app: INestApplication;
  let anonymous: GraphqlClient;
  let databaseUrl: string;
  const keys: Record<string, GraphqlClient> = {};
  let acme: { galleryId: string; identityId: string; faceId: string };

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('access');
    ({ app, api: anonymous } = await startApiServer(testConfig(databaseUrl, { AUTH_MODE: 'required' })));
    keys.root = anonymous.withKey(await cliCreateKey(databaseUrl, 'platform', 'admin'));
    for (const tenant of ['acme', 'globex']) {
      for (const role of ['admin', 'operator', 'reader']) {
        const created = await keys.root.request(CREATE_KEY, { input: { tenant, role, name: `${tenant} ${role}` } });
        expect(created.errors).toBeUndefined();
        keys[`${tenant}-${role}`] = anonymous.withKey(created.data!.createApiKey.key);
      }
    }
    const galleryId = (await keys['acme-operator'].request(CREATE_GALLERY, { name: 'staff' })).data!.createGallery.id;
    const enrolled = await keys['acme-operator'].request(ENROLL, { input: { galleryId, externalId: 'person-1', imageBase64: await b64('neutral_front', 1) } });
    expect(enrolled.errors).toBeUndefined();
    acme = { galleryId, identityId: enrolled.data!.enrollFace.identity.id, faceId: enrolled.data!.enrollFace.faces[0].id };
  });

  afterAll(() => app?.close());

  const expectRejected = (code: string, send: () => Promise<GraphqlResponse>) => expectRejectedIn(databaseUrl, code, send);

  it('creates the first admin key from the CLI, printed once as the last line', async () => {
    const me = await keys.root.request(ME);
    expect(me.data!.me).toMatchObject({ tenantName: 'platform', role: 'admin', keyId: expect.any(String) });
    const [stored] = await queryDatabase<{ secret_sha256: string; prefix: string }>(databaseUrl, 'SELECT secret_sha256, prefix FROM api_keys WHERE id = $1', [me.data!.me.keyId]);
    expect(stored.secret_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(keys.root.apiKey!.startsWith(stored.prefix)).toBe(true);
    expect(stored.secret_sha256).not.toContain(keys.root.apiKey!.slice(4));
  });

  it('refuses requests without a valid key with UNAUTHENTICATED and writes nothing', async () => {
    const image = await b64('smiling_front', 1);
    await expectRejected('UNAUTHENTICATED', () => anonymous.request(GALLERIES));
    await expectRejected('UNAUTHENTICATED', () => anonymous.request(ENROLL, { input: { galleryId: acme.galleryId, externalId: 'x', imageBase64: image } }));
    await expectRejected('UNAUTHENTICATED', () => anonymous.withKey(`frk_${'A'.repeat(43)}`).request(GALLERIES));
    await expectRejected('UNAUTHENTICATED', () => anonymous.withKey('not-a-key').request(GALLERIES));
    const basic = await fetch(`${anonymous.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Basic dXNlcjpwYXNz' },
      body: JSON.stringify({ query: GALLERIES }),
    });
    expect(((await basic.json()) as GraphqlResponse).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await fetch(`${anonymous.baseUrl}/health`)).status).toBe(200); // probes need no key
  });

  it('gives each role what it may do and FORBIDDEN for the rest, audited as denied', async () => {
    const image = await b64('smiling_front', 1);
    const identify = await keys['acme-reader'].request(IDENTIFY, { input: { galleryId: acme.galleryId, imageBase64: image } });
    expect(identify.data!.identify.faces[0]).toMatchObject({ decision: 'MATCH', candidates: [{ identity: { externalId: 'person-1' } }] });
    await expectRejected('FORBIDDEN', () => keys['acme-reader'].request(ENROLL, { input: { galleryId: acme.galleryId, externalId: 'x', imageBase64: image } }));
    await expectRejected('FORBIDDEN', () => keys['acme-reader'].request(CREATE_GALLERY, { name: 'nope' }));
    await expectRejected('FORBIDDEN', () => keys['acme-reader'].request('mutation($id: ID!) { deleteGallery(id: $id) { id } }', { id: acme.galleryId }));
    await expectRejected('FORBIDDEN', () => keys['acme-operator'].request(CREATE_KEY, { input: { tenant: 'acme', role: 'admin', name: 'escalate' } }));
    await expectRejected('FORBIDDEN', () => keys['acme-operator'].request('{ auditLog { totalCount } }'));
    const operator = (await keys['acme-operator'].request(ME)).data!.me;
    const denied = await keys.root.request('query($keyId: ID) { auditLog(keyId: $keyId, first: 100) { nodes { action outcome errorCode } } }', { keyId: operator.keyId });
    expect(denied.data!.auditLog.nodes).toEqual(
      expect.arrayContaining([
        { action: 'createApiKey', outcome: 'denied', errorCode: 'FORBIDDEN' },
        { action: 'auditLog', outcome: 'denied', errorCode: 'FORBIDDEN' },
      ]),
    );
  });

  it('never lets a key reach another tenant\'s galleries, identities or faces, even by id (NOT_FOUND, nothing changes)', async () => {
    const globex = keys['globex-operator'];
    const image = await b64('smiling_front', 1);
    expect((await globex.request(GALLERIES)).data!.galleries).toEqual({ totalCount: 0, nodes: [] });
    const { galleryId, identityId, faceId } = acme;
    await expectRejected('NOT_FOUND', () => globex.request('query($id: ID!) { gallery(id: $id) { id } }', { id: galleryId }));
    await expectRejected('NOT_FOUND', () => globex.request('query($g: ID!) { identities(galleryId: $g) { totalCount } }', { g: galleryId }));
    await expectRejected('NOT_FOUND', () => globex.request('query($g: ID!) { identity(galleryId: $g, externalId: "person-1") { id } }', { g: galleryId }));
    await expectRejected('NOT_FOUND', () => globex.request(IDENTIFY, { input: { galleryId, imageBase64: image } }));
    await expectRejected('NOT_FOUND', () => globex.request('query($input: VerifyInput!) { verify(input: $input) { same } }', { input: { galleryId, externalId: 'person-1', imageABase64: image } }));
    await expectRejected('NOT_FOUND', () => globex.request('query($g: ID!) { clusterFaces(input: { galleryId: $g }) { clusters { size } } }', { g: galleryId }));
    await expectRejected('NOT_FOUND', () => globex.request(ENROLL, { input: { galleryId, externalId: 'intruder', imageBase64: image } }));
    await expectRejected('NOT_FOUND', () => globex.request('mutation($id: ID!) { deleteFace(id: $id) { id } }', { id: faceId }));
    await expectRejected('NOT_FOUND', () => globex.request('mutation($id: ID!) { deleteIdentity(id: $id) { id } }', { id: identityId }));
    await expectRejected('NOT_FOUND', () => globex.request('mutation($id: ID!) { deleteGallery(id: $id) { id } }', { id: galleryId }));
    await expectRejected('NOT_FOUND', () => globex.request('mutation($g: ID!) { eraseIdentity(input: { galleryId: $g, externalId: "person-1" }) { id } }', { g: galleryId }));
    // The owner still sees it all, untouched.
    expect((await keys['acme-reader'].request('query($g: ID!) { identities(galleryId: $g) { totalCount } }', { g: galleryId })).data!.identities.totalCount).toBe(1);
    // Gallery names are per tenant.
    expect((await globex.request(CREATE_GALLERY, { name: 'staff' })).errors).toBeUndefined();
  });

  it('revokes a key at once', async () => {
    const created = (await keys.root.request(CREATE_KEY, { input: { tenant: 'acme', role: 'reader', name: 'temporary' } })).data!.createApiKey;
    const temporary = anonymous.withKey(created.key);
    expect((await temporary.request(GALLERIES)).errors).toBeUndefined();
    const revoked = await keys.root.request('mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', { id: created.apiKey.id });
    expect(revoked.data!.revokeApiKey.revokedAt).toEqual(expect.any(String));
    expect(errorCode(await temporary.request(GALLERIES))).toBe('UNAUTHENTICATED');
  });

  it('declares a role on every root field of the schema', async () => {
    const schema = await keys.root.request('{ __schema { queryType { fields { name } } mutationType { fields { name } } } }');
    const fields = [...schema.data!.__schema.queryType.fields, ...schema.data!.__schema.mutationType.fields].map((f: { name: string }) => f.name).sort();
    const roles = new Map<string, string>();
    for (const resolver of RESOLVERS) {
      for (const name of Object.getOwnPropertyNames(resolver.prototype)) {
        const role = Reflect.getMetadata(REQUIRED_ROLE, (resolver.prototype as unknown as Record<string, object>)[name]);
        if (role) roles.set(name, role);
      }
    }
    expect(fields.filter((field) => !roles.has(field))).toEqual([]);
    expect(roles.get('identify')).toBe('reader');
    expect(roles.get('enrollFace')).toBe('operator');
    expect(roles.get('enrollBatch')).toBe('operator');
    expect(roles.get('enrollmentBatch')).toBe('reader');
    expect(roles.get('createApiKey')).toBe('admin');
    expect(roles.get('startModelMigration')).toBe('admin');
    for (const field of ['models', 'model', 'registerModel', 'setActiveModel']) expect(roles.get(field)).toBe('admin');
  });

  it('erases an identity completely: rows, crops, embeddings, index; the photo is then UNKNOWN; the audit keeps no name', async () => {
    const operator = keys['acme-operator'];
    const { galleryId } = acme;
    const second = await operator.request(ENROLL, { input: { galleryId, externalId: 'erase-me', imageBase64: await b64('neutral_front', 2) } });
    await operator.request(ENROLL, { input: { galleryId, externalId: 'erase-me', imageBase64: await b64('neutral_front', 3) } });
    const identityId = second.data!.enrollFace.identity.id;
    const probe = await b64('smiling_front', 2);
    expect((await operator.request(IDENTIFY, { input: { galleryId, imageBase64: probe } })).data!.identify.faces[0].decision).toBe('MATCH');
    const indexedBefore = ((await (await fetch(`${operator.baseUrl}/health`)).json()) as { indexedFaces: number }).indexedFaces;

    const erased = await operator.request('mutation($g: ID!) { eraseIdentity(input: { galleryId: $g, externalId: "erase-me" }) { id erasedFaces erasedEmbeddings } }', { g: galleryId });
    expect(erased.data!.eraseIdentity).toEqual({ id: identityId, erasedFaces: 2, erasedEmbeddings: 2 });

    const [left] = await queryDatabase<Record<string, number>>(databaseUrl, `
      SELECT (SELECT count(*) FROM identities WHERE id = $1)::int AS identities,
             (SELECT count(*) FROM faces WHERE identity_id = $1)::int AS faces,
             (SELECT count(*) FROM embeddings e JOIN faces f ON f.id = e.face_id WHERE f.identity_id = $1)::int AS embeddings,
             (SELECT count(*) FROM embeddings WHERE face_id NOT IN (SELECT id FROM faces))::int AS orphans`, [identityId]);
    expect(left).toEqual({ identities: 0, faces: 0, embeddings: 0, orphans: 0 });
    const indexedAfter = ((await (await fetch(`${operator.baseUrl}/health`)).json()) as { indexedFaces: number }).indexedFaces;
    expect(indexedAfter).toBe(indexedBefore - 2);
    const again = await operator.request(IDENTIFY, { input: { galleryId, imageBase64: probe } });
    expect(again.data!.identify.faces[0].decision).toBe('UNKNOWN');
    expect(again.data!.identify.faces[0].candidates.map((c: { identity: { externalId: string } }) => c.identity.externalId)).not.toContain('erase-me');
    expect(errorCode(await operator.request('mutation($g: ID!) { eraseIdentity(input: { galleryId: $g, externalId: "erase-me" }) { id } }', { g: galleryId }))).toBe('NOT_FOUND');

    const audit = await queryDatabase<{ entry: string }>(databaseUrl, `SELECT row_to_json(a)::text AS entry FROM audit_log a`);
    expect(audit.some(({ entry }) => entry.includes('"eraseIdentity"') && entry.includes(identityId))).toBe(true);
    expect(audit.filter(({ entry }) => entry.includes('erase-me') || entry.includes(probe.slice(100, 140)))).toEqual([]);
  });

  it('erases a whole tenant with its keys, but never the caller\'s own tenant nor the default one', async () => {
    const globexAdmin = (await keys['globex-admin'].request(ME)).data!.me;
    const own = await keys['globex-admin'].request('mutation($id: ID!) { eraseTenant(id: $id) { id } }', { id: globexAdmin.tenantId });
    expect(errorCode(own)).toBe('VALIDATION');
    const [defaultTenant] = await queryDatabase<{ id: string }>(databaseUrl, `SELECT id FROM tenants WHERE name = 'default'`);
    expect(errorCode(await keys.root.request('mutation($id: ID!) { eraseTenant(id: $id) { id } }', { id: defaultTenant.id }))).toBe('VALIDATION');

    const galleryId = (await keys['globex-operator'].request(GALLERIES)).data!.galleries.nodes[0].id;
    await keys['globex-operator'].request(ENROLL, { input: { galleryId, externalId: 'g-1', imageBase64: await b64('neutral_front', 4) } });
    const before = await rowCounts(databaseUrl);
    const erased = await keys.root.request('mutation($id: ID!) { eraseTenant(id: $id) { erasedGalleries erasedIdentities erasedFaces erasedEmbeddings revokedApiKeys } }', {
      id: globexAdmin.tenantId,
    });
    expect(erased.data!.eraseTenant).toEqual({ erasedGalleries: 1, erasedIdentities: 1, erasedFaces: 1, erasedEmbeddings: 1, revokedApiKeys: 3 });
    expect(await rowCounts(databaseUrl)).toEqual({ galleries: before.galleries - 1, identities: before.identities - 1, faces: before.faces - 1, embeddings: before.embeddings - 1 });
    expect(errorCode(await keys['globex-reader'].request(GALLERIES))).toBe('UNAUTHENTICATED');
    expect((await keys['acme-reader'].request(GALLERIES)).data!.galleries.totalCount).toBe(1);
  });

  it('lists who did what in the audit log: key, action, outcome, without images or embeddings', async () => {
    const log = await keys.root.request('{ auditLog(action: "enrollFace", first: 100) { totalCount nodes { keyId tenantId action outcome errorCode galleryId targetId durationMs details } } }');
    const acmeOperator = (await keys['acme-operator'].request(ME)).data!.me;
    const enrolls = log.data!.auditLog.nodes;
    expect(enrolls.filter((e: { keyId: string; outcome: string }) => e.keyId === acmeOperator.keyId && e.outcome === 'ok')).toHaveLength(3);
    expect(enrolls.find((e: { errorCode: string }) => e.errorCode === 'NOT_FOUND')).toMatchObject({ action: 'enrollFace', outcome: 'error', galleryId: acme.galleryId });
    const identifies = await keys.root.request('{ auditLog(action: "identify", first: 100) { nodes { outcome details } } }');
    expect(identifies.data!.auditLog.nodes[0]).toEqual({ outcome: 'ok', details: { faces: 1, matchedIdentityIds: [acme.identityId] } });
    const [{ longest }] = await queryDatabase<{ longest: number }>(databaseUrl, 'SELECT max(length(row_to_json(a)::text))::int AS longest FROM audit_log a');
    expect(longest).toBeLessThan(600); // ids and counts only: no image or embedding fits
  });
});

describe('request limits (end to end)', () => {
  let app: INestApplication;
  let api: GraphqlClient;

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase('limits');
    ({ app, api } = await startApiServer(testConfig(databaseUrl, { RATE_LIMIT: '5', GRAPHQL_MAX_DEPTH: '3', GRAPHQL_MAX_COMPLEXITY: '250' })));
  });

  afterAll(() => app?.close());

  it('refuses operations deeper or costlier than the limits before running them', async () => {
    const deep = await api.request('{ galleries { nodes { id } } }');
    expect(deep.errors).toBeUndefined();
    const tooDeep = await api.request('query($g: ID!) { identities(galleryId: $g) { nodes { faces { box { x } } } } }', { g: '00000000-0000-0000-0000-000000000000' });
    expect(errorCode(tooDeep)).toBe('QUERY_TOO_COMPLEX');
    const image = await b64('smiling_front', 1);
    const aliases = [1, 2, 3].map((i) => `d${i}: detectFaces(input: { imageBase64: $image }) { imageWidth }`).join(' ');
    const costly = await api.request(`query($image: String!) { ${aliases} }`, { image });
    expect(errorCode(costly)).toBe('QUERY_TOO_COMPLEX');
    expect(costly.errors![0].message).toMatch(/GRAPHQL_MAX_COMPLEXITY/);
  });

  it('rate-limits per caller with RATE_LIMITED and a retry delay', async () => {
    const answers: GraphqlResponse[] = [];
    for (let i = 0; i < 6; i++) answers.push(await api.request('{ me { role } }'));
    // The first test spent 2 of the 5 (the refused operations never reached a resolver).
    const codes = answers.map((a) => errorCode(a) ?? 'ok');
    expect(codes.filter((c) => c === 'ok').length).toBeGreaterThanOrEqual(3);
    expect(codes.at(-1)).toBe('RATE_LIMITED');
    expect(answers.at(-1)!.errors![0].extensions!.details).toMatchObject({ limit: 5, retryAfterSeconds: expect.any(Number) });
  });
});
