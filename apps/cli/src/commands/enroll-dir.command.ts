import { NestFactory } from '@nestjs/core';
import { resolve } from 'node:path';
import { DEFAULT_TENANT, TenantRepository } from '../../../../libs/database/src/index.js';
import { RecognitionModule } from '../../../../libs/recognition/src/index.js';
import { BulkEnrollmentSummary, enrollImages, listImageTree } from '../bulk-enrollment.js';
import { CliCommand, numberFlag, stringFlag, UsageError } from './command.js';

/**
 * Bulk enrollment of a folder tree in LFW layout (`Person/photo.jpg` → identity `Person`), in process
 * through the API's EnrollmentService. Resumable: photos already enrolled for their identity are skipped.
 */
export const enrollDirCommand: CliCommand = {
  name: 'enroll-dir',
  summary: 'Enroll every image of a folder tree into a gallery (identity = parent folder name); reruns skip what is enrolled',
  usage: 'enroll-dir --gallery NAME --dir PATH [--tenant NAME] [--limit N] [--largest-face] [--json]',
  async run(args) {
    if (!args.flags.has('gallery') || !args.flags.has('dir')) throw new UsageError('--gallery NAME and --dir PATH are required');
    const galleryName = stringFlag(args, 'gallery');
    const dir = resolve(stringFlag(args, 'dir'));
    const limit = numberFlag(args, 'limit', Infinity);
    if (!(limit >= 1)) throw new UsageError('--limit must be at least 1');
    const images = (await listImageTree(dir)).slice(0, limit);
    if (images.length === 0) throw new UsageError(`No image files under ${dir}`);
    // The context reads the same validated environment as the server (DATABASE_URL or the embedded Postgres, models).
    const app = await NestFactory.createApplicationContext(RecognitionModule, { logger: ['error', 'warn'] });
    const summary = await app
      .get(TenantRepository)
      .getByName(stringFlag(args, 'tenant', DEFAULT_TENANT))
      .then(({ id: tenantId }) => enrollImages(app, { tenantId, galleryName, images, largestFace: args.flags.has('largest-face') }))
      .finally(() => app.close());
    if (args.flags.has('json')) return summary;
    console.log(describeSummary(summary));
    return undefined;
  },
};

function describeSummary(s: BulkEnrollmentSummary): string {
  const byCode = Object.entries(s.rejectedByCode).map(([code, count]) => `${code} ${count}`).join(', ');
  return [
    `Gallery ${JSON.stringify(s.gallery.name)} (${s.gallery.id}${s.gallery.created ? ', created' : ''}): ${s.images} images`,
    `  enrolled ${s.enrolled}, skipped ${s.skipped} (already enrolled), rejected ${s.rejected}${byCode ? ` (${byCode})` : ''}`,
    `  ${s.seconds} s, ${s.facesPerSecond} faces/s`,
  ].join('\n');
}
