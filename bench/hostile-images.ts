// Hostile images for the fuzz proof (bench/fuzz.proof.ts) and its test subset: a seeded,
// deterministic set of generated and mutated images, each with what counts as a correct answer.
// Real photos come from the London set (DATASET_DIR/london); every variant is made with sharp.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp, { Sharp } from 'sharp';
import { ErrorCode, seededRandom } from '../libs/common/src/index.js';
import { shuffled } from './bench.util.js';

export type Transport = 'multipart' | 'base64';

/**
 * What a correct answer is. `person`: a photo of an enrolled person, upright at width×height (it
 * must be found and recognised). `no-face`: a clean image without a face. `rejected`: it must fail
 * with one of `codes`. `undetermined`: a damaged photo whose content nobody can predict: any
 * well-formed answer, or one of `codes`.
 */
export type Expectation =
  | { answer: 'person'; externalId: string; width: number; height: number }
  | { answer: 'no-face'; width: number; height: number }
  | { answer: 'rejected'; codes: readonly ErrorCode[] }
  | { answer: 'undetermined'; codes: readonly ErrorCode[] };

interface CaseCommon {
  /** Unique and descriptive, e.g. "truncated/png@1234#17". */
  name: string;
  kind: HostileKind;
  expect: Expectation;
}

/** What is sent: file bytes in a multipart request, or the literal text of an `…Base64` argument. */
export type HostileCase = CaseCommon & ({ transport: 'multipart'; bytes: Uint8Array } | { transport: 'base64'; base64: string });

export interface HostileLimits {
  /** The server's MAX_UPLOAD_BYTES. */
  maxUploadBytes: number;
  /** The server's MAX_IMAGE_PIXELS. */
  maxImagePixels: number;
}

export interface HostileOptions {
  count: number;
  seed: number;
  /** Folder holding london/ (the shared datasets). */
  datasetDir: string;
  limits: HostileLimits;
}

/** A London person whose neutral photo is enrolled; variants of their smiling photo must be recognised. */
export interface KnownPerson {
  externalId: string;
  enrollPhoto: string;
}

const KNOWN_IDS = ['004', '011', '027', '063'];
/** Not enrolled: the later frames of animations, so that decoding a wrong frame shows. */
const STRANGER_ID = '090';

const londonPhoto = (datasetDir: string, set: 'neutral_front' | 'smiling_front', id: string) =>
  join(datasetDir, 'london', set, `${id}_${set === 'neutral_front' ? '03' : '08'}.jpg`);

const externalIdOf = (id: string) => `london-${id}`;

export const knownPeople = (datasetDir: string): KnownPerson[] =>
  KNOWN_IDS.map((id) => ({ externalId: externalIdOf(id), enrollPhoto: londonPhoto(datasetDir, 'neutral_front', id) }));

// ---- Shared vocabulary ----------------------------------------------------------------------------

const INVALID: readonly ErrorCode[] = [ErrorCode.INVALID_IMAGE];
const TOO_LARGE: readonly ErrorCode[] = [ErrorCode.IMAGE_TOO_LARGE];
/** A header that lies about the format may also declare an absurd size. */
const REFUSED: readonly ErrorCode[] = [ErrorCode.INVALID_IMAGE, ErrorCode.IMAGE_TOO_LARGE];
/** Damaged bytes may decode to anything, or to nothing. */
const DAMAGED: readonly ErrorCode[] = [ErrorCode.INVALID_IMAGE, ErrorCode.IMAGE_TOO_LARGE, ErrorCode.NO_FACE, ErrorCode.MULTIPLE_FACES, ErrorCode.LOW_QUALITY];

const rejected = (codes: readonly ErrorCode[]): Expectation => ({ answer: 'rejected', codes });
const UNDETERMINED: Expectation = { answer: 'undetermined', codes: DAMAGED };

type PhotoFormat = 'jpeg' | 'progressive-jpeg' | 'png' | 'interlaced-png' | 'webp' | 'lossless-webp' | 'gif' | 'tiff' | 'avif';
const PHOTO_FORMATS: readonly PhotoFormat[] = ['jpeg', 'progressive-jpeg', 'png', 'interlaced-png', 'webp', 'lossless-webp', 'gif', 'tiff', 'avif'];

function encode(image: Sharp, format: PhotoFormat): Promise<Buffer> {
  switch (format) {
    case 'jpeg': return image.jpeg({ quality: 90 }).toBuffer();
    case 'progressive-jpeg': return image.jpeg({ quality: 85, progressive: true }).toBuffer();
    case 'png': return image.png().toBuffer();
    case 'interlaced-png': return image.png({ progressive: true }).toBuffer();
    case 'webp': return image.webp({ quality: 85 }).toBuffer();
    case 'lossless-webp': return image.webp({ lossless: true }).toBuffer();
    case 'gif': return image.gif().toBuffer();
    case 'tiff': return image.tiff({ compression: 'lzw' }).toBuffer();
    case 'avif': return image.avif({ effort: 0 }).toBuffer();
  }
}

const MAGIC: Record<string, Buffer> = {
  jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  png: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  gif: Buffer.from('GIF89a'),
  webp: Buffer.from('RIFF\x00\x10\x00\x00WEBPVP8 ', 'latin1'),
  tiff: Buffer.from([0x49, 0x49, 0x2a, 0x00]),
  'big-endian-tiff': Buffer.from([0x4d, 0x4d, 0x00, 0x2a]),
  avif: Buffer.from('\x00\x00\x00\x1cftypavif', 'latin1'),
  bmp: Buffer.from('BM'),
  svg: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" '),
};

/** The magic that starts each encoding, to put the wrong one on it. */
const MAGIC_OF: Record<PhotoFormat, string> = {
  jpeg: 'jpeg', 'progressive-jpeg': 'jpeg', png: 'png', 'interlaced-png': 'png', webp: 'webp', 'lossless-webp': 'webp', gif: 'gif', tiff: 'tiff', avif: 'avif',
};

// ---- Hand-built headers ---------------------------------------------------------------------------

/** A PNG chunk: length, type, data, CRC over type + data. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** Bit depth and colour type pairs that PNG allows (palette at 8 bits only). */
const PNG_PIXEL_FORMATS = [[8, 0], [8, 2], [8, 3], [8, 4], [8, 6], [16, 0], [16, 2], [16, 4], [16, 6]] as const;

/** A valid PNG header (IHDR with a correct CRC) declaring width×height, then a few bytes of deflate. */
function pngDeclaring(width: number, height: number, [bitDepth, colourType]: (typeof PNG_PIXEL_FORMATS)[number]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([bitDepth, colourType, 0, 0, 0], 8);
  return Buffer.concat([
    MAGIC.png,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01])),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A GIF whose logical screen and first frame declare the given sizes, with a two-colour table and a 1-pixel LZW body. */
function gifDeclaring(screen: [number, number], frame: [number, number]): Buffer {
  const header = Buffer.alloc(13);
  header.write('GIF89a');
  header.writeUInt16LE(screen[0], 6);
  header.writeUInt16LE(screen[1], 8);
  header[10] = 0x80; // global colour table of 2 entries
  const descriptor = Buffer.alloc(10);
  descriptor[0] = 0x2c;
  descriptor.writeUInt16LE(frame[0], 5);
  descriptor.writeUInt16LE(frame[1], 7);
  return Buffer.concat([header, Buffer.from([0, 0, 0, 255, 255, 255]), descriptor, Buffer.from([2, 2, 0x4c, 0x01, 0, 0x3b])]);
}

/** A baseline greyscale TIFF (every required tag) declaring width×height over 64 bytes of strip. */
function tiffDeclaring(width: number, height: number): Buffer {
  const STRIP_BYTES = 64;
  const tags: [tag: number, type: 3 | 4, value: number][] = [
    [256, 4, width], [257, 4, height], [258, 3, 8], [259, 3, 1], [262, 3, 1], [273, 4, 0], [277, 3, 1], [278, 4, height], [279, 4, STRIP_BYTES],
  ];
  const stripOffset = 8 + 2 + tags.length * 12 + 4;
  const tiff = Buffer.alloc(stripOffset + STRIP_BYTES);
  tiff.fill(0x80, stripOffset);
  tiff.write('II');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(tags.length, 8);
  tags.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    tiff.writeUInt16LE(tag, at);
    tiff.writeUInt16LE(type, at + 2);
    tiff.writeUInt32LE(1, at + 4);
    const v = tag === 273 ? stripOffset : value;
    if (type === 3) tiff.writeUInt16LE(v, at + 8);
    else tiff.writeUInt32LE(v, at + 8);
  });
  return tiff;
}

/** A real JPEG with its frame header (SOFn) rewritten to width×height. */
function jpegDeclaring(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let at = 2; at + 9 < out.length; at += 2 + out.readUInt16BE(at + 2)) {
    const marker = out[at + 1];
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      out.writeUInt16BE(height, at + 5);
      out.writeUInt16BE(width, at + 7);
      return out;
    }
  }
  throw new Error('no SOF marker in the JPEG');
}

/** A real WebP (lossy VP8 or lossless VP8L, simple format) with its bitstream header rewritten to width×height. */
function webpDeclaring(webp: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(webp);
  const chunk = out.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    out.writeUInt16LE(width & 0x3fff, 26);
    out.writeUInt16LE(height & 0x3fff, 28);
  } else if (chunk === 'VP8L') {
    const bits = out.readUInt32LE(21);
    out.writeUInt32LE(((bits & ~0x0fffffff) | ((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14)) >>> 0, 21);
  } else {
    throw new Error(`unexpected WebP chunk ${chunk}`);
  }
  return out;
}

// ---- Generation context ---------------------------------------------------------------------------

interface Person {
  externalId: string;
  /** The smiling photo (the enrolled one is the neutral photo). */
  photo: Buffer;
}

interface Encoding {
  format: PhotoFormat;
  bytes: Buffer;
  person: Person;
}

class Context {
  readonly random: () => number;

  constructor(
    seed: number,
    readonly limits: HostileLimits,
    readonly people: Person[],
    readonly stranger: Buffer,
    /** Every known person's smiling photo in every format: the bodies that mutations start from. */
    readonly encodings: Encoding[],
  ) {
    this.random = seededRandom(seed);
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  chance(probability: number): boolean {
    return this.random() < probability;
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = Math.floor(this.random() * 256);
    return out;
  }

  /** Log-uniform in [min, max]: short and long inputs alike. */
  logInt(min: number, max: number): number {
    return Math.floor(Math.exp(Math.log(min) + this.random() * (Math.log(max + 1) - Math.log(min))));
  }

  person(): Person {
    return this.pick(this.people);
  }

  /** A person's photo, resized to a random square side (faces stay large enough to recognise). */
  async resizedPhoto(person: Person): Promise<{ image: Sharp; width: number; height: number }> {
    const side = this.int(280, 600);
    return { image: sharp(await sharp(person.photo).resize(side, side).toBuffer()), width: side, height: side };
  }
}

/** One generated case before numbering; the transport is drawn when not given. */
interface Draft {
  detail: string;
  expect: Expectation;
  bytes?: Uint8Array;
  base64?: string;
}

/** A family of cases; `weight` is its share of the cases. */
const family = <Kind extends string>(kind: Kind, weight: number, make: (ctx: Context, index: number) => Promise<Draft>) => ({ kind, weight, make });

const recognised = (p: Person, width: number, height: number): Expectation => ({ answer: 'person', externalId: p.externalId, width, height });

// ---- Families -------------------------------------------------------------------------------------

const FAMILIES = [
  family('zero-byte', 1, async (ctx) => {
    // Every spelling of nothing: an empty file, an empty string, blanks, a bare data: prefix.
    const variant = ctx.pick(['file', '', '   ', '\n\t\r\n', 'data:image/jpeg;base64,']);
    return variant === 'file' ? { detail: 'empty-file', bytes: new Uint8Array(0), expect: rejected(INVALID) } : { detail: JSON.stringify(variant), base64: variant, expect: rejected(INVALID) };
  }),
  family('random-bytes', 5, async (ctx) => {
    const length = ctx.logInt(1, 256 * 1024);
    return { detail: `${length}B`, bytes: ctx.bytes(length), expect: rejected(INVALID) };
  }),
  family('magic-then-random', 5, async (ctx) => {
    const magic = ctx.pick(Object.keys(MAGIC));
    const length = ctx.logInt(16, 64 * 1024);
    return { detail: `${magic}+${length}B`, bytes: Buffer.concat([MAGIC[magic], ctx.bytes(length)]), expect: UNDETERMINED };
  }),
  family('wrong-magic', 5, async (ctx) => {
    const source = ctx.pick(ctx.encodings);
    const magic = ctx.pick(Object.keys(MAGIC).filter((m) => m !== MAGIC_OF[source.format] && m !== 'svg'));
    const bytes = Buffer.from(source.bytes);
    bytes.set(MAGIC[magic], 0);
    return { detail: `${source.format}-body-with-${magic}-magic`, bytes, expect: rejected(REFUSED) };
  }),
  family('truncated', 10, async (ctx) => {
    const source = ctx.pick(ctx.encodings);
    // A third inside the headers, the rest anywhere, always losing at least the last 16 bytes
    // (a PNG without its IEND, or a GIF without its trailer, still holds every pixel).
    const end = ctx.chance(1 / 3) ? ctx.int(0, 300) : ctx.int(0, source.bytes.length - 16);
    return { detail: `${source.format}@${end}of${source.bytes.length}`, bytes: source.bytes.subarray(0, end), expect: rejected(INVALID) };
  }),
  family('header-flips', 8, async (ctx) => {
    const source = ctx.pick(ctx.encodings);
    return mutate(ctx, source, 0, Math.min(source.bytes.length, 512));
  }),
  family('body-flips', 8, async (ctx) => {
    const source = ctx.pick(ctx.encodings);
    return mutate(ctx, source, Math.floor(source.bytes.length * 0.1), source.bytes.length);
  }),
  family('huge-dimensions', 6, async (ctx) => {
    // Within each format's own range, beyond the pixel limit.
    const { maxImagePixels } = ctx.limits;
    const builder = ctx.pick(['png', 'jpeg', 'gif', 'gif-frame', 'tiff', 'webp', 'lossless-webp'] as const);
    const source = (format: PhotoFormat) => ctx.pick(ctx.encodings.filter((e) => e.format === format)).bytes;
    // Largest side each format can declare (PNG and TIFF allow more, but libpng and libtiff call
    // sides beyond about 2^31 corrupt rather than large).
    const [maxSide, build] = ({
      png: [10_000_000, (w, h) => pngDeclaring(w, h, ctx.pick(PNG_PIXEL_FORMATS))],
      jpeg: [65500, (w, h) => jpegDeclaring(source(ctx.pick(['jpeg', 'progressive-jpeg'])), w, h)],
      gif: [65535, (w, h) => gifDeclaring([w, h], [w, h])],
      'gif-frame': [65535, (w, h) => gifDeclaring([64, 64], [w, h])], // a small screen whose frame is huge
      tiff: [10_000_000, tiffDeclaring],
      webp: [16383, (w, h) => webpDeclaring(source('webp'), w, h)],
      'lossless-webp': [16383, (w, h) => webpDeclaring(source('lossless-webp'), w, h)],
    } satisfies Record<typeof builder, [number, (width: number, height: number) => Buffer]>)[builder];
    const width = ctx.int(Math.ceil(maxImagePixels / maxSide) + 1, maxSide);
    const height = ctx.int(Math.floor(maxImagePixels / width) + 1, maxSide);
    return { detail: `${builder}-${width}x${height}`, bytes: build(width, height), expect: rejected(TOO_LARGE) };
  }),
  family('large-dimensions', 2, async (ctx) => {
    // Allowed sizes with almost no pixel data behind them: the decoder allocates the full canvas
    // before it finds out (memory is what this family measures).
    const width = ctx.int(2000, 8000);
    const height = ctx.int(2000, Math.min(8000, Math.floor(ctx.limits.maxImagePixels / width)));
    const builder = ctx.pick(['png', 'jpeg', 'gif', 'tiff', 'webp'] as const);
    const bytes = {
      png: () => pngDeclaring(width, height, ctx.pick([[8, 2], [16, 2]] as const)),
      jpeg: () => jpegDeclaring(ctx.pick(ctx.encodings.filter((e) => e.format === 'jpeg')).bytes, width, height),
      gif: () => gifDeclaring([width, height], [width, height]),
      tiff: () => tiffDeclaring(width, height),
      webp: () => webpDeclaring(ctx.pick(ctx.encodings.filter((e) => e.format === 'webp')).bytes, width, height),
    }[builder]();
    return { detail: `${builder}-${width}x${height}`, bytes, expect: UNDETERMINED };
  }),
  family('decompression-bomb', 1, async (ctx) => {
    // Real pixel data, a few hundred bytes per megapixel, up to the pixel limit: allowed, so it
    // must be decoded and answered (memory is what this family measures).
    const largest = Math.floor(Math.sqrt(ctx.limits.maxImagePixels));
    const width = ctx.int(Math.min(4000, largest), largest);
    const height = ctx.int(Math.min(4000, largest), Math.floor(ctx.limits.maxImagePixels / width));
    const format = ctx.pick(['png', 'jpeg', 'gif', 'webp'] as const);
    const canvas = sharp({ create: { width, height, channels: 3, background: { r: ctx.int(0, 255), g: ctx.int(0, 255), b: ctx.int(0, 255) } } });
    return { detail: `${format}-${width}x${height}`, bytes: await encode(canvas, format), expect: { answer: 'no-face', width, height } };
  }),
  family('oversized', 0.5, async (ctx, index) => {
    const { maxUploadBytes } = ctx.limits;
    const photo = ctx.pick(ctx.encodings.filter((e) => e.format === 'jpeg'));
    const padded = (size: number) => Buffer.concat([photo.bytes, Buffer.alloc(size - photo.bytes.length)]);
    // Over the upload limit as a file or as base64; every third, over the JSON body limit too.
    if (index % 3 === 2) {
      const beyondBody = Math.ceil((2 * maxUploadBytes * 4) / 3) + 128 * 1024;
      return { detail: `base64-${beyondBody}chars-beyond-body-limit`, base64: padded(Math.ceil((beyondBody * 3) / 4)).toString('base64'), expect: rejected(TOO_LARGE) };
    }
    const size = maxUploadBytes + ctx.int(1, 64 * 1024);
    return { detail: `${size}B`, bytes: padded(size), expect: rejected(TOO_LARGE) };
  }),
  family('16-bit', 3, async (ctx) => {
    const p = ctx.person();
    const { image, width, height } = await ctx.resizedPhoto(p);
    const [space, format] = ctx.pick([['rgb16', 'png'], ['grey16', 'png'], ['rgb16', 'tiff']] as const);
    const converted = image.toColourspace(space);
    const bytes = await (format === 'png' ? converted.png() : converted.tiff()).toBuffer();
    return { detail: `${space}-${format}`, bytes, expect: recognised(p, width, height) };
  }),
  family('cmyk', 3, async (ctx) => {
    const p = ctx.person();
    const { image, width, height } = await ctx.resizedPhoto(p);
    const format = ctx.pick(['jpeg', 'tiff'] as const);
    const cmyk = image.toColourspace('cmyk');
    return { detail: format, bytes: await (format === 'jpeg' ? cmyk.jpeg() : cmyk.tiff()).toBuffer(), expect: recognised(p, width, height) };
  }),
  family('grayscale', 3, async (ctx) => {
    const p = ctx.person();
    const { image, width, height } = await ctx.resizedPhoto(p);
    const format = ctx.pick(['jpeg', 'png', 'webp', 'tiff', 'gif'] as const);
    return { detail: format, bytes: await encode(image.grayscale(), format), expect: recognised(p, width, height) };
  }),
  family('grayscale-alpha', 3, async (ctx) => {
    const p = ctx.person();
    const { image, width, height } = await ctx.resizedPhoto(p);
    const alpha = ctx.pick([1, 0.8, 0.5]);
    const format = ctx.pick(['png', 'tiff'] as const);
    const greyAlpha = image.grayscale().ensureAlpha(alpha);
    return { detail: `${format}-alpha${alpha}`, bytes: await (format === 'png' ? greyAlpha.png() : greyAlpha.tiff()).toBuffer(), expect: recognised(p, width, height) };
  }),
  family('palette', 3, async (ctx) => {
    const p = ctx.person();
    const { image, width, height } = await ctx.resizedPhoto(p);
    const colours = ctx.pick([256, 128]);
    const withAlpha = ctx.chance(0.5);
    const source = withAlpha ? image.ensureAlpha(1) : image;
    return { detail: `png-${colours}${withAlpha ? '-alpha' : ''}`, bytes: await source.png({ palette: true, colours, effort: 1 }).toBuffer(), expect: recognised(p, width, height) };
  }),
  family('animated', 3, async (ctx) => {
    // The first frame is the person; later ones a stranger and a negative: reading any other
    // frame, or all of them, gives a different answer.
    const p = ctx.person();
    const side = ctx.int(240, 400);
    const frame = (source: Sharp) => source.resize(side, side).removeAlpha().raw().toBuffer();
    const others = [sharp(ctx.stranger), sharp(p.photo).negate(), sharp(ctx.stranger).flop()];
    const frames = await Promise.all([sharp(p.photo), ...others.slice(0, ctx.int(1, others.length))].map(frame));
    const format = ctx.pick(['gif', 'webp', 'tiff'] as const);
    const animation = sharp(Buffer.concat(frames), { raw: { width: side, height: side * frames.length, channels: 3, pageHeight: side } });
    const delay = frames.map(() => 100);
    const bytes = await {
      gif: () => animation.gif({ loop: 0, delay, effort: 1 }).toBuffer(),
      webp: () => animation.webp({ loop: 0, delay }).toBuffer(),
      tiff: () => animation.tiff().toBuffer(),
    }[format]();
    return { detail: `${format}-${frames.length}-frames`, bytes, expect: recognised(p, side, side) };
  }),
  family('exif-orientation', 4, async (ctx, index) => {
    // Portrait crops, so a missed rotation shows in the reported size as well as in recognition.
    const orientation = (index % 8) + 1;
    const p = ctx.person();
    const height = ctx.int(300, 600);
    const width = Math.round(height * 0.8);
    const upright = await sharp(p.photo).extract({ left: 60, top: 0, width: 480, height: 600 }).resize(width, height).toBuffer();
    // Store the pixels so that applying the tag shows them upright.
    const [flop, angle] = ([[false, 0], [true, 0], [false, 180], [true, 180], [true, 270], [false, 270], [true, 90], [false, 90]] as const)[orientation - 1];
    const stored = await sharp(await sharp(upright).flop(flop).toBuffer()).rotate(angle).toBuffer();
    const format = ctx.pick(['jpeg', 'webp'] as const);
    const tagged = sharp(stored).withMetadata({ orientation });
    return { detail: `${format}-orientation-${orientation}`, bytes: await (format === 'jpeg' ? tagged.jpeg() : tagged.webp()).toBuffer(), expect: recognised(p, width, height) };
  }),
  family('trailing-bytes', 3, async (ctx) => {
    const source = ctx.pick(ctx.encodings);
    const length = ctx.logInt(1, 16 * 1024);
    const tail = ctx.chance(0.5) ? ctx.bytes(length) : Buffer.alloc(length);
    const { width, height } = await sharp(source.bytes).metadata();
    return { detail: `${source.format}+${length}B`, bytes: Buffer.concat([source.bytes, tail]), expect: recognised(source.person, width, height) };
  }),
  family('tiny', 4, async (ctx) => {
    // Under 16 px on a side: refused. 16–40 px: a face may or may not be found.
    const refused = ctx.chance(0.6);
    const width = refused ? ctx.int(1, 15) : ctx.int(16, 40);
    const height = refused && ctx.chance(0.5) ? ctx.int(1, 600) : ctx.int(width, 40);
    const format = ctx.pick(['jpeg', 'png', 'webp', 'gif', 'tiff'] as const);
    const bytes = await encode(sharp(ctx.person().photo).resize(width, height, { fit: 'fill' }), format);
    return { detail: `${format}-${width}x${height}`, bytes, expect: refused ? rejected(INVALID) : UNDETERMINED };
  }),
  family('base64-garbage', 8, async (ctx) => {
    const source = ctx.pick(ctx.encodings);
    const valid = source.bytes.toString('base64');
    const variant = ctx.pick(['alphabet', 'padding', 'prefix', 'mixed-alphabets', 'random-base64', 'text', 'double', 'length', 'cut'] as const);
    const at = ctx.int(0, valid.length - 1);
    const base64 = {
      alphabet: () => `${valid.slice(0, at)}${ctx.pick(['%', '$', '!', '*', '#', '.', ',', ':', 'é', '€', '😀', '\u0000', '\\', '"'])}${valid.slice(at + 1)}`,
      padding: () => ctx.pick([`${valid.replace(/=+$/, '')}===`, `${valid.slice(0, at)}=${valid.slice(at)}`, `=${valid}`, '====', '=']),
      prefix: () => `${ctx.pick(['data:image/jpeg;base64;', 'data:image/jpeg,', 'image/jpeg;base64,', 'data:image/jpeg;base64,data:image/jpeg;base64,', 'data:;base64,', 'base64,'])}${valid}`,
      'mixed-alphabets': () => `${valid.slice(0, at).replace(/\+/g, '-')}_+${valid.slice(at)}`,
      'random-base64': () => ctx.bytes(ctx.logInt(1, 64 * 1024)).toString('base64'),
      text: () => ctx.pick(['null', 'undefined', 'true', '0', 'AAAA', 'A'.repeat(ctx.logInt(4, 1 << 20) & ~3), Buffer.from('hello, not an image').toString('base64')]),
      double: () => Buffer.from(valid).toString('base64'),
      length: () => `${valid.replace(/=+$/, '').slice(0, 4 * ctx.int(1, Math.floor(valid.length / 4) - 1))}A`, // 4n+1 characters
      cut: () => valid.slice(0, ctx.int(0, valid.length - 40)),
    }[variant]();
    return { detail: `${variant}-of-${source.format}`, base64, expect: rejected(INVALID) };
  }),
  family('base64-wrapped', 4, async (ctx) => {
    // Valid base64 of a real photo in the spellings clients send: all of them must work.
    const source = ctx.pick(ctx.encodings);
    const valid = source.bytes.toString('base64');
    const variant = ctx.pick(['data-url', 'mime-lines', 'spaces', 'surrounding-whitespace', 'base64url', 'unpadded'] as const);
    const base64 = {
      'data-url': () => `data:${ctx.pick(['image/jpeg', 'image/png', 'application/octet-stream', 'image/svg+xml'])};base64,${valid}`,
      'mime-lines': () => valid.replace(/.{76}/g, '$&\r\n'),
      spaces: () => valid.replace(/.{1,7}/g, (chunk) => `${chunk}${ctx.pick([' ', '\t', '\n', '  '])}`),
      'surrounding-whitespace': () => `\n  data:image/jpeg;base64,${valid}\n\t`,
      base64url: () => source.bytes.toString('base64url'),
      unpadded: () => valid.replace(/=+$/, ''),
    }[variant]();
    const { width, height } = await sharp(source.bytes).metadata();
    return { detail: `${variant}-of-${source.format}`, base64, expect: recognised(source.person, width, height) };
  }),
  family('no-face', 4, async (ctx) => {
    const width = ctx.int(64, 800);
    const height = ctx.int(64, 800);
    const pattern = ctx.pick(['solid', 'gradient', 'blobs', 'smooth-noise'] as const);
    const colour = () => `rgb(${ctx.int(0, 255)},${ctx.int(0, 255)},${ctx.int(0, 255)})`;
    let image: Sharp;
    if (pattern === 'solid') {
      image = sharp({ create: { width, height, channels: 3, background: colour() } });
    } else if (pattern === 'smooth-noise') {
      image = sharp(ctx.bytes(8 * 8 * 3), { raw: { width: 8, height: 8, channels: 3 } }).resize(width, height, { kernel: 'cubic' });
    } else {
      const shapes = pattern === 'gradient'
        ? `<linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${colour()}"/><stop offset="1" stop-color="${colour()}"/></linearGradient><rect width="100%" height="100%" fill="url(#g)"/>`
        : Array.from({ length: ctx.int(1, 4) }, () => `<rect x="${ctx.int(0, width)}" y="${ctx.int(0, height)}" width="${ctx.int(10, width)}" height="${ctx.int(10, height)}" fill="${colour()}"/>`).join('');
      image = sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="${colour()}"/>${shapes}</svg>`));
    }
    const format = ctx.pick(['jpeg', 'png', 'webp', 'gif', 'tiff'] as const);
    // Flattened through raw pixels so the encoder sees a plain 3-channel image.
    const flat = sharp(await image.removeAlpha().raw().toBuffer(), { raw: { width, height, channels: 3 } });
    return { detail: `${pattern}-${format}-${width}x${height}`, bytes: await encode(flat, format), expect: { answer: 'no-face', width, height } };
  }),
  family('svg', 2, async (ctx) => {
    // A vector format is not a photo: refused before it is rendered, even with a face inside.
    const face = ctx.pick(ctx.encodings.filter((e) => e.format === 'jpeg')).bytes.toString('base64');
    const variant = ctx.pick(['face-inside', 'blur-bomb', 'huge-canvas', 'entity-expansion', 'external-entity'] as const);
    const svg = {
      'face-inside': `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600"><image href="data:image/jpeg;base64,${face}" width="600" height="600"/></svg>`,
      'blur-bomb': '<svg xmlns="http://www.w3.org/2000/svg" width="6000" height="6000"><filter id="f"><feGaussianBlur stdDeviation="300"/></filter><rect width="6000" height="6000" fill="red" filter="url(#f)"/></svg>',
      'huge-canvas': '<svg xmlns="http://www.w3.org/2000/svg" width="60000" height="60000"><rect width="10" height="10"/></svg>',
      'entity-expansion': `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 7 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`).join('')}]><svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><text y="50">&h;</text></svg>`,
      'external-entity': '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><text y="50">&x;</text></svg>',
    }[variant];
    return { detail: variant, bytes: Buffer.from(svg), expect: rejected(REFUSED) };
  }),
];

export type HostileKind = (typeof FAMILIES)[number]['kind'];
export const HOSTILE_KINDS: readonly HostileKind[] = FAMILIES.map((f) => f.kind);

/** 1–4 changes in [from, to): single bit flips, bytes set to 0x00/0xFF/random, or a zeroed run. */
function mutate(ctx: Context, source: Encoding, from: number, to: number): Draft {
  const bytes = Buffer.from(source.bytes);
  const changes: string[] = [];
  for (let n = ctx.int(1, 4); n > 0; n--) {
    const at = ctx.int(from, to - 1);
    const how = ctx.pick(['bit', 'bit', 'zero', 'ones', 'random', 'run'] as const);
    if (how === 'bit') bytes[at] ^= 1 << ctx.int(0, 7);
    else if (how === 'zero') bytes[at] = 0;
    else if (how === 'ones') bytes[at] = 0xff;
    else if (how === 'random') bytes[at] = ctx.int(0, 255);
    else bytes.fill(0, at, Math.min(to, at + ctx.int(8, 256)));
    changes.push(`${how}@${at}`);
  }
  return { detail: `${source.format}:${changes.join(',')}`, bytes, expect: UNDETERMINED };
}

/** Cases per family: proportional to the weights, at least one each, `count` in all. */
function familyCounts(count: number): number[] {
  if (count < FAMILIES.length) throw new Error(`--cases must be at least ${FAMILIES.length} (one per family)`);
  const total = FAMILIES.reduce((sum, f) => sum + f.weight, 0);
  const exact = FAMILIES.map((f) => (count * f.weight) / total);
  const counts = exact.map((x) => Math.max(1, Math.floor(x)));
  const byRemainder = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; counts.reduce((a, b) => a + b, 0) < count; k++) counts[byRemainder[k % counts.length][1]]++;
  for (let k = 0; counts.reduce((a, b) => a + b, 0) > count; k++) {
    const largest = counts.indexOf(Math.max(...counts));
    counts[largest]--;
  }
  return counts;
}

async function loadContext(options: HostileOptions): Promise<Context> {
  const people = await Promise.all(
    KNOWN_IDS.map(async (id) => ({ externalId: externalIdOf(id), photo: await readFile(londonPhoto(options.datasetDir, 'smiling_front', id)) })),
  );
  const stranger = await readFile(londonPhoto(options.datasetDir, 'smiling_front', STRANGER_ID));
  const encodings: Encoding[] = [];
  for (const p of people) for (const format of PHOTO_FORMATS) encodings.push({ format, person: p, bytes: await encode(sharp(p.photo), format) });
  return new Context(options.seed, options.limits, people, stranger, encodings);
}

/**
 * `count` hostile cases, the same for the same options: every family represented, in proportion
 * to its weight, shuffled. Cases that are real photos stay under the upload limit.
 */
export async function generateHostileCases(options: HostileOptions): Promise<HostileCase[]> {
  const ctx = await loadContext(options);
  const counts = familyCounts(options.count);
  const cases: HostileCase[] = [];
  for (const [f, { kind, make }] of FAMILIES.entries()) {
    for (let i = 0; i < counts[f]; i++) {
      const draft = await make(ctx, i);
      const name = `${kind}/${draft.detail}#${cases.length}`;
      const common = { name, kind, expect: draft.expect };
      if (draft.expect.answer === 'person' && draft.bytes && draft.bytes.length > options.limits.maxUploadBytes) {
        throw new Error(`${name} is a photo over the upload limit of ${options.limits.maxUploadBytes} bytes: raise the limit`);
      }
      if (draft.base64 !== undefined) cases.push({ ...common, transport: 'base64', base64: draft.base64 });
      else if (ctx.chance(0.5)) cases.push({ ...common, transport: 'multipart', bytes: draft.bytes! });
      else cases.push({ ...common, transport: 'base64', base64: Buffer.from(draft.bytes!).toString('base64') });
    }
  }
  return shuffled(cases, ctx.random);
}
