import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DetectedFace } from '../../inference/src/detection/detected-face.js';
import type { FacePipeline } from '../../inference/src/face.pipeline.js';
import { EmbeddingCache } from './embedding-cache.js';
import { DatasetError, embedSubjectFaces, formatDuration, readLfwDataset, scorePairs } from './lfw-embedder.js';

const TEMPLATE = [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]];

/** A pipeline whose "image" is the file's text: "face" files get a detection, others none; the embedding encodes the text length and the face score. */
function fakePipeline() {
  const calls = { decode: 0, embed: 0 };
  const pipeline = {
    embedder: { manifest: { alignment: { width: 112, height: 112, template: TEMPLATE } } },
    decode: async (bytes: Uint8Array) => {
      calls.decode++;
      const text = Buffer.from(bytes).toString();
      if (text === 'corrupt') throw new Error('not an image');
      return { width: 100, height: 100, data: new Uint8Array(0), sha256: '', format: 'fake', text };
    },
    detect: async (image: { text: string }): Promise<DetectedFace[]> =>
      image.text.startsWith('face') ? [{ box: { x: 40, y: 40, width: 20, height: 20 }, landmarks: [], score: 0.9 }] : [],
    embedFaces: async (image: { text: string }, faces: DetectedFace[]) => {
      calls.embed++;
      return faces.map((f) => ({ ...f, embedding: Float32Array.from([image.text.length, f.score]) }));
    },
  };
  return { pipeline: pipeline as unknown as FacePipeline, calls };
}

describe('embedSubjectFaces', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lfw-embedder-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('embeds the subject or a centre crop, and answers repeats from the cache without decoding', async () => {
    const paths = ['face-a', 'face-bb', 'blank'].map((name) => join(dir, name));
    for (const path of paths) await writeFile(path, path.slice(dir.length + 1));
    const cache = EmbeddingCache.open(join(dir, 'cache'), { model: 'm', tag: 'subject', fingerprint: 'f', dimension: 2 });
    const lines: string[] = [];
    const { pipeline, calls } = fakePipeline();

    const first = await embedSubjectFaces(pipeline, paths, { cache, label: 'test', progress: (l) => lines.push(l) });
    expect(first).toMatchObject({ undetected: 1, cached: 0 });
    expect([...first.embeddings.entries()]).toEqual([
      [paths[0], Float32Array.from([6, 0.9])],
      [paths[1], Float32Array.from([7, 0.9])],
      [paths[2], Float32Array.from([5, 0])], // centre crop: score 0
    ]);
    expect(calls).toEqual({ decode: 3, embed: 3 });
    expect(lines).toEqual([expect.stringMatching(/^test: 3\/3 images \(0 cached\), [\d.]+ images\/s in \d+s, 1 without a detected face$/)]);

    const second = await embedSubjectFaces(pipeline, paths, { cache, label: 'test', progress: () => undefined });
    expect(second).toEqual({ ...first, cached: 3 });
    expect(calls).toEqual({ decode: 3, embed: 3 });
    cache.close();
  });

  it('names an unreadable image', async () => {
    const path = join(dir, 'bad');
    await writeFile(path, 'corrupt');
    const { pipeline } = fakePipeline();
    const run = embedSubjectFaces(pipeline, [path], { label: 'x' });
    await expect(run).rejects.toThrow(DatasetError);
    await expect(run).rejects.toThrow(`Cannot read image ${path}: not an image`);
  });
});

describe('scorePairs', () => {
  it('turns cosines of unit embeddings into squared distances, keeping fold and truth', () => {
    const embeddings = new Map([
      ['/d/a', Float32Array.from([1, 0])],
      ['/d/b', Float32Array.from([0, 1])],
      ['/d/c', Float32Array.from([1, 0])],
    ]);
    const pairs = [
      { fold: 1, a: 'a', b: 'c', same: true },
      { fold: 2, a: 'a', b: 'b', same: false },
    ];
    expect(scorePairs(pairs, embeddings, (p) => `/d/${p}`)).toEqual([
      { fold: 1, same: true, distance: 0 },
      { fold: 2, same: false, distance: 2 },
    ]);
    expect(() => scorePairs(pairs, embeddings)).toThrow('No embedding for a');
  });
});

describe('readLfwDataset', () => {
  it('says what is missing and how to point at LFW', async () => {
    await expect(readLfwDataset('/nowhere/lfw')).rejects.toThrow(
      /^LFW is not where it should be: \/nowhere\/lfw\/pairs\.txt is missing\. Pass --lfw DIR/,
    );
  });
});

describe('formatDuration', () => {
  it('prints seconds, then minutes and seconds', () => {
    expect(formatDuration(4.4)).toBe('4s');
    expect(formatDuration(241.6)).toBe('4m02s');
  });
});
