import { INestApplicationContext } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DomainException } from '../../../libs/common/src/index.js';
import { DatasetError, formatDuration } from '../../../libs/evaluation/src/index.js';
import { EnrollmentService, GalleryService } from '../../../libs/recognition/src/index.js';

/** Extensions of the formats the decoder reads; other files of a tree (notes, sidecars) are not photos. */
const IMAGE_FILE = /\.(jpe?g|png|webp|gif|tiff?|avif)$/i;

/** Rejection examples kept per error code: enough to look at, not a copy of a large dataset's failures. */
const EXAMPLES_PER_CODE = 3;

export interface ImageToEnroll {
  path: string;
  externalId: string;
}

/** Every image file under `dir`, in path order, as the identity its parent folder names (LFW layout: `Name/Name_0001.jpg`). */
export async function listImageTree(dir: string): Promise<ImageToEnroll[]> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (error) {
    throw new DatasetError(`Cannot list ${dir}: ${(error as Error).message}`);
  }
  return entries
    .filter((entry) => entry.isFile() && IMAGE_FILE.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
    .map((path) => ({ path, externalId: basename(dirname(path)) }));
}

export interface BulkEnrollmentOptions {
  /** The tenant that owns (or will own) the gallery. */
  tenantId: string;
  galleryName: string;
  images: readonly ImageToEnroll[];
  /** Enroll the largest face of a photo that shows several (the API's largestFaceOnly) instead of refusing it. */
  largestFace?: boolean;
  progressIntervalMs?: number;
  progress?: (line: string) => void;
}

export interface BulkEnrollmentSummary {
  gallery: { id: string; name: string; created: boolean };
  images: number;
  enrolled: number;
  /** Already enrolled for the same identity (same sha256): a rerun resumes where the last one stopped. */
  skipped: number;
  rejected: number;
  rejectedByCode: Record<string, number>;
  /** A few rejected paths per code, with the reason. */
  rejectedExamples: Record<string, { path: string; message: string }[]>;
  seconds: number;
  /** Faces enrolled per second of the whole run. */
  facesPerSecond: number;
}

/**
 * Enrolls each image into the named gallery (created if missing) through the EnrollmentService of
 * `app`: the API's pipeline, quality gate and transaction. Photos already enrolled for their identity
 * are skipped; refused ones (NO_FACE, MULTIPLE_FACES, LOW_QUALITY, …) are counted by code and the run
 * goes on. Any other error (database down, unreadable file) stops it; a rerun resumes. The next file
 * is read while the current one is enrolled.
 */
export async function enrollImages(app: INestApplicationContext, options: BulkEnrollmentOptions): Promise<BulkEnrollmentSummary> {
  const { images, progressIntervalMs = 2000, progress = (line: string) => process.stderr.write(`${line}\n`) } = options;
  const galleries = app.get(GalleryService);
  const enrollment = app.get(EnrollmentService);
  const { gallery, created } = await galleries.galleryNamed(options.tenantId, options.galleryName);
  const enrolledSources = await galleries.enrolledSources(gallery.id);
  const summary: BulkEnrollmentSummary = {
    gallery: { id: gallery.id, name: gallery.name, created },
    images: images.length, enrolled: 0, skipped: 0, rejected: 0, rejectedByCode: {}, rejectedExamples: {}, seconds: 0, facesPerSecond: 0,
  };

  const started = performance.now();
  let reported = started;
  const elapsed = () => (performance.now() - started) / 1000;
  const report = (done: number) => {
    const rate = summary.enrolled / Math.max(elapsed(), 1e-9);
    const perImage = elapsed() / done;
    const eta = done < images.length ? `, ETA ${formatDuration((images.length - done) * perImage)}` : ` in ${formatDuration(elapsed())}`;
    progress(
      `enroll-dir: ${done}/${images.length} images: ${summary.enrolled} enrolled, ${summary.skipped} skipped, ` +
        `${summary.rejected} rejected; ${rate.toFixed(1)} faces/s${eta}`,
    );
  };

  const read = (path: string) =>
    readFile(path).catch((error: Error) => {
      throw new DatasetError(`Cannot read ${path}: ${error.message}`);
    });
  let next = images.length > 0 ? read(images[0].path) : undefined;
  for (let i = 0; i < images.length; i++) {
    const { path, externalId } = images[i];
    const bytes = await next!;
    if (i + 1 < images.length) {
      next = read(images[i + 1].path);
      next.catch(() => undefined); // surfaced when awaited
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const sources = enrolledSources.get(externalId) ?? new Set<string>();
    if (sources.has(sha256)) {
      summary.skipped++;
    } else {
      try {
        await enrollment.enrollFace({ tenantId: options.tenantId, galleryId: gallery.id, externalId, image: bytes, largestFaceOnly: options.largestFace });
        enrolledSources.set(externalId, sources.add(sha256));
        summary.enrolled++;
      } catch (error) {
        if (!(error instanceof DomainException)) throw error;
        summary.rejected++;
        summary.rejectedByCode[error.code] = (summary.rejectedByCode[error.code] ?? 0) + 1;
        const examples = (summary.rejectedExamples[error.code] ??= []);
        if (examples.length < EXAMPLES_PER_CODE) examples.push({ path, message: error.message });
      }
    }
    const now = performance.now();
    if (now - reported >= progressIntervalMs || i + 1 === images.length) {
      reported = now;
      report(i + 1);
    }
  }
  summary.seconds = Math.round(elapsed() * 10) / 10;
  summary.facesPerSecond = Math.round((summary.enrolled / Math.max(elapsed(), 1e-9)) * 10) / 10;
  return summary;
}
