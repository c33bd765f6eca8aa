import { Module } from '@nestjs/common';
import { ConfigModule } from '../../../libs/config/src/index.js';
import { EnrollmentWorkerModule } from '../../../libs/recognition/src/index.js';

/** The worker process: no HTTP, just the job queues it works. */
@Module({ imports: [ConfigModule, EnrollmentWorkerModule] })
export class WorkerModule {}
