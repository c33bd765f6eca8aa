import { Module } from '@nestjs/common';
import { ConfigModule } from '../../config/src/index.js';
import { DatabaseModule, JobsModule } from '../../database/src/index.js';
import { EnrollmentBatchWorker } from './enrollment-batch.worker.js';
import { EnrollmentService } from './enrollment.service.js';
import { FaceAnalysisService } from './face-analysis.service.js';
import { ModelBackfillWorker } from './model-backfill.worker.js';
import { ModelEmbedders } from './model-embedders.service.js';
import { ModelMigrationService } from './model-migration.service.js';

/**
 * A worker process's domain: the models, enrollment and model migrations, working the batch and
 * backfill queues once booted. No
 * vector index: a worker only writes, and the API processes serve the searches.
 */
@Module({
  imports: [ConfigModule, DatabaseModule, JobsModule],
  providers: [FaceAnalysisService, EnrollmentService, EnrollmentBatchWorker, ModelEmbedders, ModelMigrationService, ModelBackfillWorker],
})
export class EnrollmentWorkerModule {}
