import { Module } from '@nestjs/common';
import { ConfigModule } from '../../../config/src/index.js';
import { DatabaseModule } from '../database.module.js';
import { EnrollmentBatchRepository } from '../repositories/enrollment-batch.repository.js';
import { ModelMigrationRepository } from '../repositories/model-migration.repository.js';
import { JobQueue } from './job-queue.js';

/**
 * The job queue and the stores that enqueue in their own transactions. Apart from the database
 * module, so that processes without jobs (the CLI's key commands) start no queue.
 */
@Module({
  imports: [ConfigModule, DatabaseModule],
  providers: [JobQueue, EnrollmentBatchRepository, ModelMigrationRepository],
  exports: [JobQueue, EnrollmentBatchRepository, ModelMigrationRepository],
})
export class JobsModule {}
