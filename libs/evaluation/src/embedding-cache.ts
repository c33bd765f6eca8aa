import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_EMBEDDING_CACHE_DIR = '.eval-cache';

export interface CachedEmbedding {
  embedding: Float32Array;
  /** false when the face-selection policy fell back (no detection). */
  detected: boolean;
}

export interface EmbeddingCacheKey {
  /** Embedder manifest id. */
  model: string;
  /** Face-selection policy, e.g. 'subject'. */
  tag: string;
  /** Short hash of everything else that changes the embeddings (model bytes, detector, options). */
  fingerprint: string;
  dimension: number;
}

const MAGIC = Buffer.from('FRECEMB1', 'latin1');
const HEADER_BYTES = MAGIC.length + 4; // magic, uint32 LE dimension
const SHA_BYTES = 32;

/**
 * Embeddings of whole images, by sha256 of the image bytes, one file per (model, tag, fingerprint):
 * `<dir>/<model>.<tag>.<fingerprint>.emb`. The file is append-only: an 8-byte magic and the
 * dimension, then fixed-size records [32-byte sha256][uint32 LE flags, bit 0 = detected]
 * [dimension × float32 LE]. A partial last record (an interrupted run) is cut off on open; a later
 * record for the same image wins. A changed model or detector gets a new file, never a stale hit.
 */
export class EmbeddingCache {
  private constructor(
    readonly path: string,
    private readonly fd: number,
    private readonly dimension: number,
    private readonly entries: Map<string, CachedEmbedding>,
  ) {}

  static open(dir: string, key: EmbeddingCacheKey): EmbeddingCache {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${key.model}.${key.tag}.${key.fingerprint}.emb`);
    const fd = openSync(path, 'a+');
    try {
      const bytes = readFileSync(fd);
      const entries = new Map<string, CachedEmbedding>();
      if (bytes.length < HEADER_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC) || bytes.readUInt32LE(MAGIC.length) !== key.dimension) {
        // Empty, torn header or foreign content: start over.
        ftruncateSync(fd, 0);
        const header = Buffer.alloc(HEADER_BYTES);
        MAGIC.copy(header);
        header.writeUInt32LE(key.dimension, MAGIC.length);
        writeSync(fd, header);
      } else {
        const recordBytes = SHA_BYTES + 4 + 4 * key.dimension;
        const records = Math.floor((bytes.length - HEADER_BYTES) / recordBytes);
        for (let r = 0; r < records; r++) {
          const at = HEADER_BYTES + r * recordBytes;
          const embedding = new Float32Array(key.dimension);
          for (let k = 0; k < key.dimension; k++) embedding[k] = bytes.readFloatLE(at + SHA_BYTES + 4 + 4 * k);
          entries.set(bytes.toString('hex', at, at + SHA_BYTES), { embedding, detected: (bytes.readUInt32LE(at + SHA_BYTES) & 1) === 1 });
        }
        const valid = HEADER_BYTES + records * recordBytes;
        if (valid < bytes.length) ftruncateSync(fd, valid);
      }
      return new EmbeddingCache(path, fd, key.dimension, entries);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get(sha256: string): CachedEmbedding | undefined {
    return this.entries.get(sha256);
  }

  put(sha256: string, entry: CachedEmbedding): void {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`Not a hex sha256: ${sha256}`);
    if (entry.embedding.length !== this.dimension) {
      throw new Error(`Embedding of dimension ${entry.embedding.length} in a cache of dimension ${this.dimension}`);
    }
    const record = Buffer.alloc(SHA_BYTES + 4 + 4 * this.dimension);
    record.write(sha256, 0, 'hex');
    record.writeUInt32LE(entry.detected ? 1 : 0, SHA_BYTES);
    entry.embedding.forEach((v, k) => record.writeFloatLE(v, SHA_BYTES + 4 + 4 * k));
    writeSync(this.fd, record); // one write per record: an interruption tears at most the last one
    this.entries.set(sha256, { embedding: Float32Array.from(entry.embedding), detected: entry.detected });
  }

  close(): void {
    closeSync(this.fd);
  }
}
