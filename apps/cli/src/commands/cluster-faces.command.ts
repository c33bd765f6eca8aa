import { NestFactory } from '@nestjs/core';
import { DEFAULT_TENANT, TenantRepository } from '../../../../libs/database/src/index.js';
import { ClusteringService, RecognitionModule } from '../../../../libs/recognition/src/index.js';
import { CliCommand, numberFlag, stringFlag, UsageError } from './command.js';

/** `clusterFaces` from the command line: the same service, on the configured database and models. */
export const clusterFacesCommand: CliCommand = {
  name: 'cluster-faces',
  summary: "Group a gallery's faces into people (average-linkage clustering at the calibrated threshold)",
  usage: 'cluster-faces --gallery ID [--tenant NAME] [--far RATE | --threshold D]',
  async run(args) {
    if (!args.flags.has('gallery')) throw new UsageError('--gallery ID is required');
    const galleryId = stringFlag(args, 'gallery');
    const tenant = args.flags.has('tenant') ? stringFlag(args, 'tenant') : DEFAULT_TENANT;
    const far = args.flags.has('far') ? numberFlag(args, 'far', 0) : null;
    const threshold = args.flags.has('threshold') ? numberFlag(args, 'threshold', 0) : null;
    // The context reads the same validated environment (DATABASE_URL or the embedded Postgres, models).
    const app = await NestFactory.createApplicationContext(RecognitionModule, { logger: ['error', 'warn'] });
    try {
      const { id: tenantId } = await app.get(TenantRepository).getByName(tenant);
      return await app.get(ClusteringService).clusterFaces({ tenantId, galleryId, far, threshold });
    } finally {
      await app.close();
    }
  },
};
