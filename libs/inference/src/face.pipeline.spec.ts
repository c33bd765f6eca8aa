import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { dot } from '../../common/src/index.js';
import { GENERATED_MODEL_DIR, lisaPhoto, londonPhoto, MANIFEST_DIR, MODEL_DIR, sharedPath } from '../../../test/support/shared-data.js';
import { FacePipeline } from './face.pipeline.js';
import { ImageDecodeError, ImageDecodeFailure } from './image/image.decoder.js';

const silent = { log: () => undefined, warn: () => undefined };

describe('FacePipeline on real models and photos', () => {
  let pipeline: FacePipeline;

  beforeAll(async () => {
    sharedPath(MODEL_DIR, 'mobilefacenet-128.onnx');
    pipeline = await FacePipeline.create(
      {
        modelDir: MODEL_DIR, generatedModelDir: GENERATED_MODEL_DIR, manifestDir: MANIFEST_DIR, detectorId: 'yunet-n', embedderId: 'mobilefacenet-128',
        session: { executionProviders: ['cpu'], intraOpThreads: 1 }, embedBatchSize: 8,
        detection: { scoreThreshold: 0.6, nmsIou: 0.3, maxSide: 640, minSide: 0 },
        limits: { maxBytes: 15 * 1024 * 1024, maxPixels: 40_000_000 },
      },
      silent,
    );
  });

  afterAll(() => pipeline?.release());

  it('batches the embedder after making its batch dimension dynamic', () => {
    expect(pipeline.embedder.maxRunBatch).toBe(16);
  });

  it('finds one face with plausible landmarks in a front portrait', async () => {
    const { image, faces } = await pipeline.analyze(await readFile(londonPhoto('neutral_front', 1)));
    expect([image.width, image.height]).toEqual([600, 600]);
    expect(faces).toHaveLength(1);
    const [face] = faces;
    expect(face.score).toBeGreaterThan(0.8);
    const [rightEye, leftEye, nose, mouthR, mouthL] = face.landmarks;
    expect(rightEye.x).toBeLessThan(leftEye.x);
    expect(nose.y).toBeGreaterThan(rightEye.y);
    expect(mouthR.y).toBeGreaterThan(nose.y);
    expect(mouthL.x).toBeGreaterThan(mouthR.x);
    for (const p of face.landmarks) {
      expect(p.x).toBeGreaterThan(face.box.x);
      expect(p.x).toBeLessThan(face.box.x + face.box.width);
    }
    let norm = 0;
    for (const v of face.embedding) norm += v * v;
    expect(Math.sqrt(norm)).toBeCloseTo(1, 5);
    expect(face.crop.width).toBe(112);
  });

  it('embeds the same person closer than strangers', async () => {
    const embed = async (path: string) => (await pipeline.analyze(await readFile(path))).faces[0].embedding;
    const a1 = await embed(londonPhoto('neutral_front', 5));
    const a2 = await embed(londonPhoto('smiling_front', 5));
    const b = await embed(londonPhoto('neutral_front', 6));
    const lisa1 = await embed(lisaPhoto(1));
    const lisa2 = await embed(lisaPhoto(2));
    expect(dot(a1, a2)).toBeGreaterThan(dot(a1, b) + 0.2);
    expect(dot(lisa1, lisa2)).toBeGreaterThan(dot(lisa1, a1) + 0.2);
  });

  it('maps boxes back through EXIF rotation and finds every face of a composite photo', async () => {
    const left = await sharp(londonPhoto('neutral_front', 10)).resize(300, 300).toBuffer();
    const right = await sharp(londonPhoto('neutral_front', 20)).resize(300, 300).toBuffer();
    const pair = await sharp({ create: { width: 600, height: 300, channels: 3, background: '#808080' } })
      .composite([{ input: left, left: 0, top: 0 }, { input: right, left: 300, top: 0 }])
      .jpeg()
      .toBuffer();
    const { faces } = await pipeline.analyze(pair);
    expect(faces).toHaveLength(2);
    expect(faces.map((f) => f.box.x < 300).sort()).toEqual([false, true]);

    // The same portrait stored rotated 90° with an EXIF tag saying "rotate back": boxes refer to the upright image.
    const rotated = await sharp(londonPhoto('neutral_front', 1)).rotate(90).withMetadata({ orientation: 8 }).jpeg().toBuffer();
    const upright = await pipeline.analyze(await readFile(londonPhoto('neutral_front', 1)));
    const viaExif = await pipeline.analyze(rotated);
    expect(viaExif.faces).toHaveLength(1);
    expect(viaExif.faces[0].box.x).toBeCloseTo(upright.faces[0].box.x, -1);
    expect(viaExif.faces[0].box.y).toBeCloseTo(upright.faces[0].box.y, -1);
    expect(dot(viaExif.faces[0].embedding, upright.faces[0].embedding)).toBeGreaterThan(0.9);
  });

  it('rejects bad images with a typed failure', async () => {
    const failureOf = async (bytes: Uint8Array) => {
      try {
        await pipeline.decode(bytes);
        return 'decoded';
      } catch (error) {
        return (error as ImageDecodeError).failure;
      }
    };
    const jpeg = await readFile(londonPhoto('neutral_front', 1));
    expect(await failureOf(Buffer.from('hello, not an image'))).toBe(ImageDecodeFailure.INVALID);
    expect(await failureOf(jpeg.subarray(0, jpeg.length / 2))).toBe(ImageDecodeFailure.INVALID);
    expect(await failureOf(new Uint8Array(0))).toBe(ImageDecodeFailure.INVALID);
    const tiny = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } }).png().toBuffer();
    expect(await failureOf(tiny)).toBe(ImageDecodeFailure.TOO_SMALL);
  });
});
