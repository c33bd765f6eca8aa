import busboy from 'busboy';
import type { NextFunction, Request, Response } from 'express';
import { ErrorCode } from '../../../../libs/common/src/index.js';
import { UploadedFile } from './uploaded-file.js';

export interface MultipartLimits {
  maxFileBytes: number;
  maxFiles: number;
}

class MultipartError extends Error {}

/**
 * Parses GraphQL multipart requests (fields `operations`, `map`, then files) into a normal GraphQL
 * body whose Upload variables hold UploadedFile objects. Files are buffered up to the byte limit;
 * a longer file is kept truncated and flagged, so the resolver can answer IMAGE_TOO_LARGE in the
 * normal GraphQL way. Other requests pass through untouched.
 */
export function graphqlMultipartMiddleware(limits: MultipartLimits) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.is('multipart/form-data')) return next();
    parseMultipart(req, limits)
      .then((body) => {
        req.body = body;
        next();
      })
      .catch((error: Error) => {
        res.status(400).json({
          errors: [{ message: `Invalid multipart request: ${error.message}`, extensions: { code: ErrorCode.VALIDATION } }],
        });
      });
  };
}

function parseMultipart(req: Request, limits: MultipartLimits): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { fileSize: limits.maxFileBytes, files: limits.maxFiles, fields: 2, fieldSize: 1024 * 1024 },
      });
    } catch (error) {
      return reject(new MultipartError((error as Error).message));
    }
    let operations: unknown;
    let map: Record<string, string[]> | undefined;
    const files = new Map<string, Promise<UploadedFile>>();
    const fail = (message: string) => {
      req.unpipe(parser);
      req.resume();
      reject(new MultipartError(message));
    };

    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(`field ${name} is too long`);
      try {
        if (name === 'operations') operations = JSON.parse(value);
        else if (name === 'map') map = JSON.parse(value) as Record<string, string[]>;
      } catch {
        fail(`field ${name} is not valid JSON`);
      }
    });
    parser.on('file', (name, stream, info) => {
      if (operations === undefined || map === undefined) {
        stream.resume();
        return fail('the `operations` and `map` fields must come before the files');
      }
      files.set(
        name,
        new Promise((done) => {
          const chunks: Buffer[] = [];
          let truncated = false;
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('limit', () => (truncated = true));
          stream.on('close', () => done(new UploadedFile(info.filename ?? name, info.mimeType, Buffer.concat(chunks), truncated)));
        }),
      );
    });
    parser.on('filesLimit', () => fail(`at most ${limits.maxFiles} files per request`));
    parser.on('error', (error: Error) => fail(error.message));
    parser.on('close', async () => {
      if (operations === undefined || map === undefined) return fail('missing `operations` or `map` field');
      try {
        for (const [fileKey, paths] of Object.entries(map)) {
          const file = files.get(fileKey);
          if (!file) return fail(`file ${fileKey} named in \`map\` was not sent`);
          const value = await file;
          for (const path of paths) setPath(operations, path, value);
        }
        resolve(operations);
      } catch (error) {
        fail((error as Error).message);
      }
    });
    req.pipe(parser);
  });
}

/** Sets `root[a][b][c]` for the path "a.b.c" (only where the operation has a null placeholder). */
function setPath(root: unknown, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = root as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    if (key === '__proto__' || typeof node[key] !== 'object' || node[key] === null) throw new MultipartError(`map path ${path} does not exist in operations`);
    node = node[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1];
  if (last === '__proto__' || !(last in node) || node[last] !== null) throw new MultipartError(`map path ${path} must point at a null placeholder`);
  node[last] = value;
}
