import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode } from '../../common/src/index.js';
import { AppConfig } from '../../config/src/index.js';
import { ModelImportFailure } from '../../inference/src/index.js';

/**
 * The model registry's files: imported models kept in MODEL_STORE_DIR, the files an admin may
 * import by path, which must lie inside MODEL_IMPORT_DIR, and the bundled manifests whose ids
 * imports may not take.
 */
@Injectable()
export class ModelFileStore {
  constructor(private readonly config: AppConfig) {}

  /** Whether MODEL_MANIFEST_DIR has a manifest of this id (a process may run it by EMBEDDER_MODEL at any time). */
  isBundled(id: string): boolean {
    return existsSync(join(this.config.models.manifestDir, `${id}.manifest.json`));
  }

  /** A new, unused file name for `id`: a failed import deletes only its own file. */
  newFileName(id: string): string {
    return `${id}.${randomUUID()}.onnx`;
  }

  path(fileName: string): string {
    return join(this.config.models.storeDir, fileName);
  }

  /** Writes atomically (a temporary file renamed into place), so a crash never leaves half a model under its name. */
  async write(fileName: string, bytes: Uint8Array): Promise<void> {
    await mkdir(this.config.models.storeDir, { recursive: true });
    const temporary = this.path(`${fileName}.partial`);
    try {
      await writeFile(temporary, bytes);
      await rename(temporary, this.path(fileName));
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async remove(fileName: string): Promise<void> {
    await rm(this.path(fileName), { force: true });
  }

  /** The bytes of `path` (relative to MODEL_IMPORT_DIR, or absolute inside it); links leading outside are refused too. */
  async readImport(path: string): Promise<Uint8Array> {
    const root = this.config.models.importDir;
    const outside = () =>
      new DomainException(ErrorCode.VALIDATION, `path must name a file inside MODEL_IMPORT_DIR (${root})`, { field: 'path' });
    if (!isInside(root, resolve(root, path))) throw outside();
    let real: string;
    try {
      real = await realpath(resolve(root, path));
    } catch {
      throw new DomainException(ErrorCode.MODEL_INVALID, `No file ${JSON.stringify(path)} in MODEL_IMPORT_DIR (${root})`, {
        reason: ModelImportFailure.UNREADABLE, path,
      });
    }
    if (!isInside(await realpath(root), real)) throw outside();
    try {
      return await readFile(real);
    } catch (error) {
      throw new DomainException(ErrorCode.MODEL_INVALID, `Cannot read ${JSON.stringify(path)}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, {
        reason: ModelImportFailure.UNREADABLE, path,
      });
    }
  }
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
