import { createHash } from 'node:crypto';
import { FileHandle, open } from 'node:fs/promises';

/**
 * hnswlib's saved-index format (hnswlib 0.8, bundled by hnswlib-node 3; `saveIndex` in hnswalg.h):
 * a 96-byte header, then every element's level-0 record (link count and flags, links, vector,
 * 64-bit label) at a fixed size, then per element a 32-bit byte count and its upper-level links.
 */
const HEADER_BYTES = 96;
/** Flag bit in the third byte of an element's level-0 record: marked deleted. */
const DELETE_MARK = 0x01;
/** Level-0 records are read and hashed this many bytes at a time (rounded to whole records). */
const CHUNK_BYTES = 8 << 20;

export class HnswFileError extends Error {}

export interface HnswFileScan {
  sha256: string;
  bytes: number;
  dimension: number;
  m: number;
  efConstruction: number;
  /** Slots in use, live and deleted. */
  elements: number;
  deleted: number;
  /** Labels of the live elements, ascending. */
  liveLabels: Float64Array;
}

/**
 * Checks the structure of a saved index and hashes it. With `scrub`, every deleted element's vector
 * and label are first overwritten with zeros in place: `markDelete` only flags an element, so a
 * saved graph would otherwise keep the vectors of erased faces until their slots were reused. The
 * element stays in the graph as an anonymous node (its links are kept, so searches still route
 * through it); hnswlib reads such a file back as usual, the zero labels belonging to no live label.
 */
export async function scanHnswFile(path: string, { scrub }: { scrub: boolean }): Promise<HnswFileScan> {
  const file = await open(path, scrub ? 'r+' : 'r');
  try {
    const { size } = await file.stat();
    if (size < HEADER_BYTES) throw new HnswFileError(`${size} bytes is shorter than the header`);
    const header = Buffer.alloc(HEADER_BYTES);
    await readFully(file, header, 0);
    const size64 = (at: number) => {
      const value = header.readBigUInt64LE(at);
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new HnswFileError('header holds impossible sizes');
      return Number(value);
    };
    const [offsetLevel0, capacity, elements, perElement, labelOffset, dataOffset] = [0, 8, 16, 24, 32, 40].map(size64);
    const [maxM0, m, efConstruction] = [64, 72, 88].map(size64);
    const dimension = (labelOffset - dataOffset) / 4;
    if (offsetLevel0 !== 0 || dataOffset !== 4 + 4 * maxM0 || perElement !== labelOffset + 8 || !Number.isInteger(dimension) || dimension < 1 || elements > capacity) {
      throw new HnswFileError('header is not that of an hnswlib 0.8 index');
    }
    const level0End = HEADER_BYTES + elements * perElement;
    if (level0End > size) throw new HnswFileError(`truncated: ${size} bytes, the level-0 records alone need ${level0End}`);

    const hash = createHash('sha256').update(header);
    const liveLabels = new Float64Array(elements);
    let live = 0;
    const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / perElement));
    const chunk = Buffer.alloc(Math.min(elements, perChunk) * perElement);
    for (let first = 0; first < elements; first += perChunk) {
      const records = chunk.subarray(0, Math.min(perChunk, elements - first) * perElement);
      const position = HEADER_BYTES + first * perElement;
      await readFully(file, records, position);
      let scrubbed = false;
      for (let at = 0; at < records.length; at += perElement) {
        if (!(records[at + 2] & DELETE_MARK)) {
          liveLabels[live++] = records.readUInt32LE(at + labelOffset) + records.readUInt32LE(at + labelOffset + 4) * 2 ** 32;
        } else if (scrub && !isZero(records, at + dataOffset, at + perElement)) {
          records.fill(0, at + dataOffset, at + perElement);
          scrubbed = true;
        }
      }
      if (scrubbed) await file.write(records, 0, records.length, position);
      hash.update(records);
    }

    const upper = Buffer.alloc(size - level0End);
    await readFully(file, upper, level0End);
    let at = 0;
    for (let i = 0; i < elements; i++) {
      if (at + 4 > upper.length) throw new HnswFileError(`truncated in the upper-level links of element ${i} of ${elements}`);
      at += 4 + upper.readUInt32LE(at);
    }
    if (at !== upper.length) throw new HnswFileError(at > upper.length ? 'truncated in the upper-level links' : `${upper.length - at} bytes past the end of the index`);
    hash.update(upper);

    return {
      sha256: hash.digest('hex'),
      bytes: size,
      dimension,
      m,
      efConstruction,
      elements,
      deleted: elements - live,
      liveLabels: liveLabels.subarray(0, live).sort(),
    };
  } finally {
    await file.close();
  }
}

async function readFully(file: FileHandle, into: Buffer, position: number): Promise<void> {
  for (let done = 0; done < into.length; ) {
    const { bytesRead } = await file.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new HnswFileError(`truncated at byte ${position + done}`);
    done += bytesRead;
  }
}

function isZero(bytes: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}
