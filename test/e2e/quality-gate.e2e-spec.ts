import { readFile } from 'node:fs/promises';
import { INestApplication } from '@nestjs/common';
import sharp from 'sharp';
import { GraphqlClient } from '../support/graphql-client.js';
import { londonPhoto } from '../support/shared-data.js';
import { createTestDatabase, expectRejected, rowCounts, testConfig } from '../support/test-app.js';
import { startApiServer } from '../support/api-server.js';

const QUALITY = 'quality { interocularDistance sharpness yaw pitch roll detectorScore reasons }';
const CREATE_GALLERY = 'mutation($name: String!) { createGallery(input: { name: $name }) { id } }';
const ENROLL = `mutation($input: FaceEnrollInput!) { enrollFace(input: $input) { identity { id } faces { id ${QUALITY} } } }`;
const IDENTIFY = `query($input: IdentifyInput!) { identify(input: $input) { faces { decision ${QUALITY} } } }`;
const DETECT = `query($input: FaceDetectInput!) { detectFaces(input: $input) { faces { score ${QUALITY} } } }`;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const portrait = () => londonPhoto('neutral_front', 1);

/** The portrait out of focus: still detected, no longer fit to enroll. */
const blurredPortrait = () => sharp(portrait()).blur(12).jpeg().toBuffer();

/** The portrait shrunk to 40×40 on a 400×400 grey canvas: a face a few pixels between the eyes. */
async function tinyFace(): Promise<Buffer> {
  const small = await sharp(portrait()).resize(40, 40).toBuffer();
  return sharp({ create: { width: 400, height: 400, channels: 3, background: '#808080' } })
    .composite([{ input: small, left: 180, top: 180 }])
    .jpeg()
    .toBuffer();
}

describe('enrollment quality gate (end to end)', () => {
  let app: INestApplication;
  let api: GraphqlClient;
  let databaseUrl: string;
  let galleryId: string;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('e2e_quality');
    const config = testConfig(databaseUrl);
    ({ app, api } = await startApiServer(config));
    galleryId = (await api.request(CREATE_GALLERY, { name: 'quality' })).data!.createGallery.id;
  });

  afterAll(() => app?.close());

  const enroll = (bytes: Uint8Array) => api.request(ENROLL, { input: { galleryId, externalId: 'p1', imageBase64: b64(bytes) } });

  it.each([
    ['a heavily blurred face', blurredPortrait, 'BLURRY'],
    ['a tiny face', tinyFace, 'SMALL_FACE'],
  ])('refuses %s with LOW_QUALITY and the reason, writing nothing', async (_name, image, reason) => {
    const bytes = await image();
    const response = await expectRejected(databaseUrl, 'LOW_QUALITY', () => enroll(bytes));
    const details = response.errors![0].extensions!.details as { reasons: string[]; quality: Record<string, number> };
    expect(details.reasons).toContain(reason);
    expect(details.quality).toEqual({
      interocularDistance: expect.any(Number), sharpness: expect.any(Number), yaw: expect.any(Number),
      pitch: expect.any(Number), roll: expect.any(Number), detectorScore: expect.any(Number),
    });
  });

  it('enrolls the sharp portrait, reporting its quality', async () => {
    const response = await enroll(await readFile(portrait()));
    expect(response.errors).toBeUndefined();
    const [face] = response.data!.enrollFace.faces;
    expect(face.quality.reasons).toEqual([]);
    expect(face.quality.interocularDistance).toBeGreaterThan(50);
    expect(await rowCounts(databaseUrl)).toMatchObject({ identities: 1, faces: 1, embeddings: 1 });
  });

  it('still identifies a blurred photo, with the reasons in its quality', async () => {
    const response = await api.request(IDENTIFY, { input: { galleryId, imageBase64: b64(await blurredPortrait()) } });
    expect(response.errors).toBeUndefined();
    const [face] = response.data!.identify.faces;
    expect(face.decision).toEqual(expect.any(String));
    expect(face.quality.reasons).toContain('BLURRY');
  });

  it('reports quality on detected faces', async () => {
    const response = await api.request(DETECT, { input: { imageBase64: b64(await tinyFace()) } });
    const [face] = response.data!.detectFaces.faces;
    expect(face.quality).toMatchObject({ detectorScore: face.score, reasons: expect.arrayContaining(['SMALL_FACE']) });
  });
});
