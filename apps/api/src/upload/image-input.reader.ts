import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode } from '../../../../libs/common/src/index.js';
import { AppConfig } from '../../../../libs/config/src/index.js';
import { UploadedFile } from './uploaded-file.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const DATA_URL_PREFIX = /^data:[\w/+.-]+;base64,/;

/** Turns an image argument pair (`x: Upload` / `xBase64: String`) into bytes, enforcing the byte limit. */
@Injectable()
export class ImageInputReader {
  constructor(private readonly config: AppConfig) {}

  read(upload: UploadedFile | null | undefined, base64: string | null | undefined, field: string): Uint8Array {
    const max = this.config.limits.maxUploadBytes;
    if ((upload == null) === (base64 == null)) {
      throw new DomainException(ErrorCode.VALIDATION, `Give exactly one of \`${field}\` (upload) or \`${field}Base64\``, { field });
    }
    if (upload) {
      if (upload.truncated) throw tooLarge(field, max);
      return upload.buffer;
    }
    // Whitespace first: a data URL pasted with a leading newline or indent is still a data URL.
    const text = base64!.replace(/\s+/g, '').replace(DATA_URL_PREFIX, '');
    if (!(BASE64.test(text) || BASE64URL.test(text)) || text.length % 4 === 1) {
      throw new DomainException(ErrorCode.INVALID_IMAGE, `\`${field}Base64\` is not valid base64`, { field });
    }
    // 3 bytes per 4 characters: refuse before allocating anything for an oversized string.
    if (Math.floor((text.length * 3) / 4) - 2 > max) throw tooLarge(field, max);
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length > max) throw tooLarge(field, max);
    return bytes;
  }
}

const tooLarge = (field: string, max: number) =>
  new DomainException(ErrorCode.IMAGE_TOO_LARGE, `\`${field}\` is larger than the ${max}-byte limit`, { field, maxBytes: max });
