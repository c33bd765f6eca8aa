import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddingCache } from './embedding-cache.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const KEY = { model: 'm-4', tag: 'subject', fingerprint: 'abc123', dimension: 4 };

describe('EmbeddingCache', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'embedding-cache-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('round-trips embeddings and the detected flag across reopenings', () => {
    const cache = EmbeddingCache.open(join(dir, 'nested'), KEY);
    expect(cache.path).toBe(join(dir, 'nested', 'm-4.subject.abc123.emb'));
    expect(cache.get(sha('a'))).toBeUndefined();
    cache.put(sha('a'), { embedding: Float32Array.from([0.5, -0.25, 1e-7, 3]), detected: true });
    cache.put(sha('b'), { embedding: Float32Array.from([1, 2, 3, 4]), detected: false });
    cache.put(sha('a'), { embedding: Float32Array.from([9, 9, 9, 9]), detected: true }); // the later record wins
    cache.close();

    const reopened = EmbeddingCache.open(join(dir, 'nested'), KEY);
    expect(reopened.size).toBe(2);
    expect(reopened.get(sha('a'))).toEqual({ embedding: Float32Array.from([9, 9, 9, 9]), detected: true });
    expect(reopened.get(sha('b'))).toEqual({ embedding: Float32Array.from([1, 2, 3, 4]), detected: false });
    // Compact: a 12-byte header, then 32 + 4 + 4·4 bytes per record.
    expect(statSync(reopened.path).size).toBe(12 + 3 * 52);
    reopened.close();
  });

  it('keeps other models, tags and fingerprints apart', () => {
    const cache = EmbeddingCache.open(dir, KEY);
    cache.put(sha('a'), { embedding: new Float32Array(4), detected: true });
    cache.close();
    for (const other of [{ ...KEY, model: 'n' }, { ...KEY, tag: 'largest' }, { ...KEY, fingerprint: 'def456' }]) {
      const c = EmbeddingCache.open(dir, other);
      expect(c.size).toBe(0);
      c.close();
    }
  });

  it('drops a torn last record and appends after the intact ones', () => {
    const cache = EmbeddingCache.open(dir, KEY);
    cache.put(sha('a'), { embedding: Float32Array.from([1, 2, 3, 4]), detected: true });
    cache.close();
    appendFileSync(cache.path, Buffer.alloc(20, 7)); // an interrupted write
    const reopened = EmbeddingCache.open(dir, KEY);
    expect(reopened.size).toBe(1);
    reopened.put(sha('b'), { embedding: Float32Array.from([5, 6, 7, 8]), detected: true });
    reopened.close();
    const again = EmbeddingCache.open(dir, KEY);
    expect(again.get(sha('b'))?.embedding).toEqual(Float32Array.from([5, 6, 7, 8]));
    expect(again.size).toBe(2);
    again.close();
  });

  it('starts over on a file of another dimension or format', () => {
    const path = join(dir, 'm-4.subject.abc123.emb');
    writeFileSync(path, 'not a cache file at all');
    const cache = EmbeddingCache.open(dir, KEY);
    expect(cache.size).toBe(0);
    cache.put(sha('a'), { embedding: new Float32Array(4), detected: true });
    cache.close();
    expect(readFileSync(path).subarray(0, 8).toString('latin1')).toBe('FRECEMB1');
    const wider = EmbeddingCache.open(dir, { ...KEY, dimension: 8 });
    expect(wider.size).toBe(0);
    wider.close();
  });

  it('rejects a wrong dimension or key', () => {
    const cache = EmbeddingCache.open(dir, KEY);
    expect(() => cache.put(sha('a'), { embedding: new Float32Array(3), detected: true })).toThrow(/dimension 3/);
    expect(() => cache.put('xyz', { embedding: new Float32Array(4), detected: true })).toThrow(/sha256/);
    cache.close();
  });
});
