import sharp from 'sharp';
import { pngChunk } from '../../bench/hostile-images.js';


/** A few hundred bytes whose header declares width×height pixels (a decompression bomb's shape). */
export function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export const onePixelPng = () => sharp({ create: { width: 1, height: 1, channels: 3, background: '#ffffff' } }).png().toBuffer();

/** A face-free photo-like image: smooth gradient with mild noise. */
export async function noFaceJpeg(): Promise<Buffer> {
  const width = 320, height = 240;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x % 256, (y * 2) % 256, 128], (y * width + x) * 3);
  return sharp(data, { raw: { width, height, channels: 3 } }).jpeg().toBuffer();
}

/** Seeded noise PNG of about width·height·3 bytes (incompressible), to exceed a byte limit. */
export function noisePng(width: number, height: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  let s = 12345;
  for (let i = 0; i < data.length; i++) data[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return sharp(data, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
}

/** Two portraits side by side: a real photo with two faces. */
export async function twoFacesJpeg(left: string, right: string): Promise<Buffer> {
  const a = await sharp(left).resize(300, 300).toBuffer();
  const b = await sharp(right).resize(240, 240).toBuffer();
  return sharp({ create: { width: 600, height: 300, channels: 3, background: '#808080' } })
    .composite([{ input: a, left: 0, top: 0 }, { input: b, left: 330, top: 30 }])
    .jpeg()
    .toBuffer();
}
