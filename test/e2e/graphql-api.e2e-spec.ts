import { readFile } from 'node:fs/promises';
import { INestApplication } from '@nestjs/common';
import { errorCode, GraphqlClient, GraphqlResponse } from '../support/graphql-client.js';
import { lisaPhoto, londonPhoto } from '../support/shared-data.js';
import { createTestDatabase, expectRejected as expectRejectedIn, rowCounts, testConfig } from '../support/test-app.js';
import { noFaceJpeg, noisePng, onePixelPng, pngDeclaring, twoFacesJpeg } from './bad-images.js';
import { startApiServer } from '../support/api-server.js';

const MAX_UPLOAD_BYTES = 200_000;

const CREATE_GALLERY = 'mutation($name: String!) { createGallery(input: { name: $name }) { id name } }';
const ENROLL = `mutation($input: FaceEnrollInput!) {
  enrollFace(input: $input) { identityCreated identity { id externalId displayName } faces { id score box { x y width height } landmarks { x y } } }
}`;
const IDENTIFY = `query($input: IdentifyInput!) {
  identify(input: $input) { threshold far modelVersion faces { score decision box { x y width height } candidates { identity { externalId displayName } similarity distance faceId } } }
}`;
const VERIFY = 'query($input: VerifyInput!) { verify(input: $input) { same distance similarity threshold far matchedFaceId faceA { score } faceB { score } } }';
const DETECT = 'query($input: FaceDetectInput!) { detectFaces(input: $input) { imageWidth imageHeight faces { score box { x y width height } landmarks { x y } } } }';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const photo = (set: 'neutral_front' | 'smiling_front', person: number) => readFile(londonPhoto(set, person));

describe('GraphQL API over HTTP (end to end)', () => {
  let app: INestApplication;
  let api: GraphqlClient;
  let baseUrl: string;
  let databaseUrl: string;
  let galleryId: string;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('e2e');
    const config = testConfig(databaseUrl, { MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES), MAX_IMAGE_PIXELS: '25000000' });
    ({ app, api, baseUrl } = await startApiServer(config));
    galleryId = (await api.request(CREATE_GALLERY, { name: 'e2e' })).data!.createGallery.id;
  });

  afterAll(() => app?.close());

  const expectRejected = (code: string, send: () => Promise<GraphqlResponse>) => expectRejectedIn(databaseUrl, code, send);

  it('answers /health once ready', async () => {
    const response = await fetch(`${baseUrl}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', model: 'mobilefacenet-128' });
  });

  describe('enroll, identify, verify', () => {
    it('enrolls by multipart upload and by base64, several photos per person', async () => {
      const first = await api.upload(ENROLL, { input: { galleryId, externalId: 'lisa', displayName: 'Lisa', image: null } }, [
        { variablePath: 'input.image', bytes: await readFile(lisaPhoto(1)), filename: 'lisa1.jpg' },
      ]);
      expect(first.errors).toBeUndefined();
      expect(first.data!.enrollFace.identityCreated).toBe(true);
      expect(first.data!.enrollFace.identity).toMatchObject({ externalId: 'lisa', displayName: 'Lisa' });
      expect(first.data!.enrollFace.faces[0].landmarks).toHaveLength(5);

      const second = await api.request(ENROLL, { input: { galleryId, externalId: 'lisa', imageBase64: b64(await readFile(lisaPhoto(2))) } });
      // Same externalId → same identity, one more face (a second photo; the display name is kept).
      expect(second.data!.enrollFace.identityCreated).toBe(false);
      expect(second.data!.enrollFace.identity).toEqual(first.data!.enrollFace.identity);

      for (const person of [2, 3, 4]) {
        const r = await api.request(ENROLL, { input: { galleryId, externalId: `p${person}`, imageBase64: `data:image/jpeg;base64,${b64(await photo('neutral_front', person))}` } });
        expect(r.errors).toBeUndefined();
      }
      expect(await rowCounts(databaseUrl)).toMatchObject({ identities: 4, faces: 5, embeddings: 5 });
    });

    it('identifies a new photo (MATCH) and a stranger (UNKNOWN), candidates one per identity', async () => {
      const known = await api.upload(IDENTIFY, { input: { galleryId, image: null, k: 3 } }, [{ variablePath: 'input.image', bytes: await photo('smiling_front', 3) }]);
      expect(known.errors).toBeUndefined();
      const [face] = known.data!.identify.faces;
      expect(face.decision).toBe('MATCH');
      expect(face.candidates[0].identity.externalId).toBe('p3');
      expect(face.candidates).toHaveLength(3);
      const ids = face.candidates.map((c: { identity: { externalId: string } }) => c.identity.externalId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(face.candidates[0].distance).toBeLessThan(face.candidates[1].distance);

      const stranger = await api.request(IDENTIFY, { input: { galleryId, imageBase64: b64(await photo('smiling_front', 5)) } });
      expect(stranger.data!.identify.faces[0].decision).toBe('UNKNOWN');
    });

    it('identifies every face of a group photo', async () => {
      const group = await twoFacesJpeg(londonPhoto('smiling_front', 2), londonPhoto('smiling_front', 5));
      const response = await api.request(IDENTIFY, { input: { galleryId, imageBase64: b64(group) } });
      const faces = response.data!.identify.faces;
      expect(faces).toHaveLength(2);
      const byPosition = [...faces].sort((a, b) => a.box.x - b.box.x);
      expect(byPosition[0].decision).toBe('MATCH');
      expect(byPosition[0].candidates[0].identity.externalId).toBe('p2');
      expect(byPosition[1].decision).toBe('UNKNOWN');
    });

    it('verifies two photos and a photo against an enrolled identity', async () => {
      const same = await api.upload(VERIFY, { input: { imageA: null, imageB: null } }, [
        { variablePath: 'input.imageA', bytes: await photo('smiling_front', 4) },
        { variablePath: 'input.imageB', bytes: await photo('neutral_front', 4) },
      ]);
      expect(same.data!.verify).toMatchObject({ same: true, faceB: { score: expect.any(Number) } });
      expect(same.data!.verify.distance).toBeLessThanOrEqual(same.data!.verify.threshold);

      const different = await api.request(VERIFY, { input: { imageABase64: b64(await photo('smiling_front', 4)), imageBBase64: b64(await photo('neutral_front', 2)) } });
      expect(different.data!.verify.same).toBe(false);

      const enrolled = await api.request(VERIFY, { input: { imageABase64: b64(await readFile(lisaPhoto(3))), galleryId, externalId: 'lisa' } });
      expect(enrolled.data!.verify).toMatchObject({ same: true, faceB: null, matchedFaceId: expect.any(String) });
    });

    it('decides at a calibrated false-accept rate, the default one, or a raw threshold, and says which', async () => {
      const probe = b64(await photo('smiling_front', 3));
      const byDefault = (await api.request(IDENTIFY, { input: { galleryId, imageBase64: probe } })).data!.identify;
      expect(byDefault).toMatchObject({ far: 0.0001 });
      const loose = (await api.request(IDENTIFY, { input: { galleryId, imageBase64: probe, far: 0.01 } })).data!.identify;
      expect(loose.far).toBe(0.01);
      expect(loose.threshold).toBeGreaterThan(byDefault.threshold);
      const raw = (await api.request(IDENTIFY, { input: { galleryId, imageBase64: probe, threshold: 0.5, far: 0.01 } })).data!.identify;
      expect(raw).toMatchObject({ threshold: 0.5, far: null });
      const verified = (await api.request(VERIFY, { input: { imageABase64: probe, imageBBase64: b64(await photo('neutral_front', 3)), far: 0.001 } })).data!.verify;
      expect(verified).toMatchObject({ same: true, far: 0.001 });
      await expectRejected('VALIDATION', () => api.request(IDENTIFY, { input: { galleryId, imageBase64: probe, far: 0.000001 } }));
      await expectRejected('VALIDATION', () => api.request(IDENTIFY, { input: { galleryId, imageBase64: probe, far: 2 } }));
      await expectRejected('VALIDATION', () => api.request(VERIFY, { input: { imageABase64: probe, imageBBase64: probe, threshold: 5 } }));
    });

    it('detects faces with boxes, five landmarks and scores', async () => {
      const response = await api.request(DETECT, { input: { imageBase64: b64(await photo('neutral_front', 1)) } });
      expect(response.data!.detectFaces).toMatchObject({ imageWidth: 600, imageHeight: 600 });
      expect(response.data!.detectFaces.faces).toHaveLength(1);
      expect(response.data!.detectFaces.faces[0].landmarks).toHaveLength(5);
    });

    it('lists galleries and identities page by page', async () => {
      for (const name of ['e2e-b', 'e2e-c']) await api.request(CREATE_GALLERY, { name });
      const LIST = 'query($after: String) { galleries(first: 2, after: $after) { totalCount endCursor hasNextPage nodes { name } } }';
      const page1 = (await api.request(LIST)).data!.galleries;
      expect(page1).toMatchObject({ totalCount: 3, hasNextPage: true, nodes: [{ name: 'e2e' }, { name: 'e2e-b' }] });
      const page2 = (await api.request(LIST, { after: page1.endCursor })).data!.galleries;
      expect(page2).toMatchObject({ hasNextPage: false, nodes: [{ name: 'e2e-c' }] });

      const identities = await api.request('query($g: ID!) { identities(galleryId: $g, first: 10) { totalCount nodes { externalId faces { id } } } }', { g: galleryId });
      expect(identities.data!.identities.totalCount).toBe(4);
      expect(identities.data!.identities.nodes[0]).toMatchObject({ externalId: 'lisa', faces: [{ id: expect.any(String) }, { id: expect.any(String) }] });
    });
  });

  describe('bad input gets a coded error and writes nothing', () => {
    const enrollWith = (bytes: Uint8Array, extra: Record<string, unknown> = {}) => () =>
      api.upload(ENROLL, { input: { galleryId, externalId: 'bad', image: null, ...extra } }, [{ variablePath: 'input.image', bytes }]);

    it('a text file → INVALID_IMAGE', () => expectRejected('INVALID_IMAGE', enrollWith(Buffer.from('just some text, not an image\n'))));

    it('a truncated JPEG → INVALID_IMAGE', async () => {
      const jpeg = await photo('neutral_front', 6);
      await expectRejected('INVALID_IMAGE', enrollWith(jpeg.subarray(0, Math.floor(jpeg.length * 0.6))));
    });

    it('a 1×1 PNG → INVALID_IMAGE', async () => expectRejected('INVALID_IMAGE', enrollWith(await onePixelPng())));

    it('an upload over the byte limit → IMAGE_TOO_LARGE (multipart and base64)', async () => {
      const big = await noisePng(300, 300);
      expect(big.length).toBeGreaterThan(MAX_UPLOAD_BYTES);
      await expectRejected('IMAGE_TOO_LARGE', enrollWith(big));
      await expectRejected('IMAGE_TOO_LARGE', () => api.request(ENROLL, { input: { galleryId, externalId: 'bad', imageBase64: b64(big) } }));
      // Far beyond the limit, the HTTP body itself is refused, still as a GraphQL error with the code.
      const huge = await noisePng(600, 600);
      const response = await expectRejected('IMAGE_TOO_LARGE', () => api.request(ENROLL, { input: { galleryId, externalId: 'bad', imageBase64: b64(huge) } }));
      expect(response.status).toBe(413);
    });

    it('a PNG whose header claims 30000×30000 → IMAGE_TOO_LARGE', () => expectRejected('IMAGE_TOO_LARGE', enrollWith(pngDeclaring(30000, 30000))));

    it('a photo without a face → NO_FACE', async () => expectRejected('NO_FACE', enrollWith(await noFaceJpeg())));

    it('a photo with several faces → MULTIPLE_FACES unless one is chosen', async () => {
      const group = await twoFacesJpeg(londonPhoto('neutral_front', 7), londonPhoto('neutral_front', 8));
      const response = await expectRejected('MULTIPLE_FACES', enrollWith(group));
      expect(response.errors![0].extensions!.details).toMatchObject({ faceCount: 2 });
      await expectRejected('VALIDATION', enrollWith(group, { faceIndex: 5 }));
      const chosen = await enrollWith(group, { externalId: 'p7', largestFaceOnly: true })();
      expect(chosen.errors).toBeUndefined();
      expect(chosen.data!.enrollFace.faces[0].box.x).toBeLessThan(300);
    });

    it('an unknown gallery → NOT_FOUND; a malformed id → VALIDATION', async () => {
      const jpeg = await photo('neutral_front', 9);
      await expectRejected('NOT_FOUND', enrollWith(jpeg, { galleryId: '00000000-0000-4000-8000-000000000000' }));
      await expectRejected('NOT_FOUND', () => api.request(IDENTIFY, { input: { galleryId: '00000000-0000-4000-8000-000000000000', imageBase64: b64(jpeg) } }));
      await expectRejected('VALIDATION', enrollWith(jpeg, { galleryId: 'not-a-uuid' }));
    });

    it('both or neither image forms, garbage base64, bad k, blank names → coded errors', async () => {
      const jpeg = await photo('neutral_front', 9);
      await expectRejected('VALIDATION', enrollWith(jpeg, { imageBase64: b64(jpeg) }));
      await expectRejected('VALIDATION', () => api.request(ENROLL, { input: { galleryId, externalId: 'bad' } }));
      await expectRejected('INVALID_IMAGE', () => api.request(ENROLL, { input: { galleryId, externalId: 'bad', imageBase64: '%%% not base64 %%%' } }));
      await expectRejected('VALIDATION', () => api.request(IDENTIFY, { input: { galleryId, imageBase64: b64(jpeg), k: 0 } }));
      await expectRejected('VALIDATION', () => api.request(ENROLL, { input: { galleryId, externalId: '   ', imageBase64: b64(jpeg) } }));
      await expectRejected('VALIDATION', () => api.request(CREATE_GALLERY, { name: '' }));
      await expectRejected('ALREADY_EXISTS', () => api.request(CREATE_GALLERY, { name: 'e2e' }));
      await expectRejected('VALIDATION', () => api.request('query { nope }'));
    });

    it('a malformed multipart request → VALIDATION', async () => {
      const form = new FormData();
      form.append('operations', '{not json');
      const response = await fetch(`${baseUrl}/graphql`, { method: 'POST', headers: { 'apollo-require-preflight': 'true' }, body: form });
      expect(response.status).toBe(400);
      expect(errorCode((await response.json()) as GraphqlResponse)).toBe('VALIDATION');
    });
  });

  describe('deletion', () => {
    it('deleteFace and deleteIdentity remove rows and index entries', async () => {
      const enrolled = await api.request(ENROLL, { input: { galleryId, externalId: 'temp', imageBase64: b64(await photo('neutral_front', 10)) } });
      const { identity, faces } = enrolled.data!.enrollFace;
      const probe = b64(await photo('smiling_front', 10));
      expect((await api.request(IDENTIFY, { input: { galleryId, imageBase64: probe } })).data!.identify.faces[0].decision).toBe('MATCH');

      const deletedFace = await api.request('mutation($id: ID!) { deleteFace(id: $id) { id deletedFaces } }', { id: faces[0].id });
      expect(deletedFace.data!.deleteFace).toEqual({ id: faces[0].id, deletedFaces: 1 });
      expect((await api.request(IDENTIFY, { input: { galleryId, imageBase64: probe } })).data!.identify.faces[0].decision).toBe('UNKNOWN');

      const deleted = await api.request('mutation($id: ID!) { deleteIdentity(id: $id) { deletedFaces } }', { id: identity.id });
      expect(deleted.data!.deleteIdentity.deletedFaces).toBe(0);
      await expectRejected('NOT_FOUND', () => api.request('query($g: ID!) { identity(galleryId: $g, externalId: "temp") { id } }', { g: galleryId }));
      await expectRejected('NOT_FOUND', () => api.request('mutation($id: ID!) { deleteFace(id: $id) { id } }', { id: faces[0].id }));
    });

    it('deleteGallery removes everything in it', async () => {
      const other = (await api.request(CREATE_GALLERY, { name: 'to-delete' })).data!.createGallery.id;
      await api.request(ENROLL, { input: { galleryId: other, externalId: 'x', imageBase64: b64(await photo('neutral_front', 11)) } });
      const before = await rowCounts(databaseUrl);
      const deleted = await api.request('mutation($id: ID!) { deleteGallery(id: $id) { deletedFaces } }', { id: other });
      expect(deleted.data!.deleteGallery.deletedFaces).toBe(1);
      expect(await rowCounts(databaseUrl)).toEqual({ galleries: before.galleries - 1, identities: before.identities - 1, faces: before.faces - 1, embeddings: before.embeddings - 1 });
    });
  });
});
