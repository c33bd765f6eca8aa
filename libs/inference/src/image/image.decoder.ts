import { createHash } from 'node:crypto';
import sharp, { Metadata } from 'sharp';
import { RgbImage } from './rgb-image.js';

export enum ImageDecodeFailure {
  /** Not an image, an unsupported format, or a corrupt/truncated file. */
  INVALID = 'INVALID',
  /** Too many bytes, or a header that declares too many pixels. */
  TOO_LARGE = 'TOO_LARGE',
  /** Too small to hold a detectable face. */
  TOO_SMALL = 'TOO_SMALL',
}

export class ImageDecodeError extends Error {
  constructor(readonly failure: ImageDecodeFailure, message: string) {
    super(message);
  }
}

export interface ImageDecodeLimits {
  maxBytes: number;
  maxPixels: number;
}

export interface DecodedImage extends RgbImage {
  /** sha256 of the encoded bytes: identifies the source photo without keeping it. */
  sha256: string;
  format: string;
}

/** YuNet's smallest anchor is 8 px at stride 8; below this nothing can be found. */
export const MIN_IMAGE_SIDE = 16;

/**
 * Raster photo formats (sharp's names; `heif` covers AVIF and HEIC). Not SVG: rendering a vector
 * costs what its filters ask, not what its pixel count says (a 300-byte SVG blurring a 6000×6000
 * canvas took 93 s of CPU), and no camera produces one. Not whatever else a libvips build loads.
 */
const PHOTO_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);

/**
 * Decodes JPEG, PNG, WebP, GIF, TIFF and HEIF/AVIF into upright 8-bit sRGB (the first frame of an
 * animation). The format and the pixel limit are checked from the header before decoding, so a
 * small file that declares a huge canvas is rejected cheaply; truncated files fail rather than
 * decode half-grey.
 */
export async function decodeImage(bytes: Uint8Array, limits: ImageDecodeLimits): Promise<DecodedImage> {
  if (bytes.length === 0) throw new ImageDecodeError(ImageDecodeFailure.INVALID, 'The image is empty (0 bytes)');
  if (bytes.length > limits.maxBytes) {
    throw new ImageDecodeError(ImageDecodeFailure.TOO_LARGE, `The image has ${bytes.length} bytes; the limit is ${limits.maxBytes}`);
  }
  const options = { limitInputPixels: limits.maxPixels, failOn: 'error' as const };
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, options).metadata();
  } catch (error) {
    throw fromSharpError(error, 'Not a readable image', limits.maxPixels);
  }
  if (!PHOTO_FORMATS.has(metadata.format)) {
    throw new ImageDecodeError(ImageDecodeFailure.INVALID, `Unsupported image format ${metadata.format}; send JPEG, PNG, WebP, GIF, TIFF or HEIF/AVIF`);
  }
  const declaredPixels = (metadata.width ?? 0) * (metadata.height ?? 0);
  if (declaredPixels > limits.maxPixels) {
    throw new ImageDecodeError(
      ImageDecodeFailure.TOO_LARGE,
      `The image declares ${metadata.width}×${metadata.height} pixels; the limit is ${limits.maxPixels} pixels`,
    );
  }
  try {
    const { data, info } = await sharp(bytes, options)
      .rotate() // apply EXIF orientation so boxes refer to the upright picture
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    if (Math.min(info.width, info.height) < MIN_IMAGE_SIDE) {
      throw new ImageDecodeError(
        ImageDecodeFailure.TOO_SMALL,
        `The image is ${info.width}×${info.height}; at least ${MIN_IMAGE_SIDE}×${MIN_IMAGE_SIDE} pixels are needed to find a face`,
      );
    }
    return {
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      format: metadata.format,
    };
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    throw fromSharpError(error, 'The image cannot be decoded', limits.maxPixels);
  }
}

/** libvips refuses a header that declares more pixels than allowed before reading any pixel data. */
function fromSharpError(error: unknown, context: string, maxPixels: number): ImageDecodeError {
  const message = (error as Error).message;
  if (/pixel limit/i.test(message)) {
    return new ImageDecodeError(ImageDecodeFailure.TOO_LARGE, `The image declares more pixels than the limit of ${maxPixels}`);
  }
  return new ImageDecodeError(ImageDecodeFailure.INVALID, `${context}: ${message}`);
}

/** Resizes RGB pixels with libvips (used to shrink a photo to the detector's input size). */
export async function resizeRgb(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** How stored crops are encoded (`faces.crop_format`). */
export const CROP_FORMAT = 'webp';

/**
 * A stored crop: lossless, so that re-embedding it later reproduces today's vector, and WebP, which
 * holds a 256×256 archive crop in about 50 KB where PNG takes 112 KB (40 London faces).
 */
export async function encodeCrop(image: RgbImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .webp({ lossless: true })
    .toBuffer();
}

/** RGB pixels of a stored crop (any format libvips reads: WebP now, PNG for faces stored before). */
export async function decodeCrop(bytes: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
