import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { DomainException, ErrorCode } from '../../common/src/index.js';
import { AppConfig } from '../../config/src/index.js';
import { ProbeFace } from '../../inference/src/index.js';
import { FaceAnalysisService } from './face-analysis.service.js';

const PHOTO = /\.(jpe?g|png|webp)$/i;

/**
 * The real faces an imported embedder is validated on: the first MODEL_VALIDATION_FACES photos of
 * MODEL_VALIDATION_FACES_DIR with a face, detected once by this process's detector and kept.
 */
@Injectable()
export class ProbeFaceSource {
  private readonly logger = new Logger(ProbeFaceSource.name);
  private loading?: Promise<ProbeFace[]>;

  constructor(
    private readonly config: AppConfig,
    private readonly analysis: FaceAnalysisService,
  ) {}

  probes(): Promise<ProbeFace[]> {
    this.loading ??= this.load().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  private async load(): Promise<ProbeFace[]> {
    const { validationFacesDir: dir, validationFaces: wanted } = this.config.models;
    const unavailable = (why: string) =>
      new DomainException(ErrorCode.MODEL_UNAVAILABLE, `Imported models are validated on real faces, but ${why}: set MODEL_VALIDATION_FACES_DIR to a folder of portraits`, {
        dir,
      });
    let names: string[];
    try {
      names = (await readdir(dir)).filter((name) => PHOTO.test(name)).sort();
    } catch {
      throw unavailable(`${dir} cannot be read`);
    }
    const probes: ProbeFace[] = [];
    for (const name of names) {
      if (probes.length === wanted) break;
      const { image, faces } = await this.analysis.detect(await readFile(join(dir, name)));
      if (faces.length > 0) probes.push({ name, image, landmarks: faces[0].landmarks });
    }
    if (probes.length < wanted) throw unavailable(`${dir} has only ${probes.length} photos with a face (${wanted} needed)`);
    this.logger.log(`Model validation faces: ${probes.map((p) => p.name).join(', ')}`);
    return probes;
  }
}
