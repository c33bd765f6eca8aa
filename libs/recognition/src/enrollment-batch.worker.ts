import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../config/src/index.js';
import { BatchItemJob, ENROLL_BATCH_ITEM, ENROLL_BATCH_ITEM_GIVEN_UP, JobQueue } from '../../database/src/index.js';
import { EnrollmentService } from './enrollment.service.js';

/** Works the enrollment batch queues from boot to shutdown (pg-boss lets the job in hand finish). */
@Injectable()
export class EnrollmentBatchWorker implements OnApplicationBootstrap {
  private readonly logger = new Logger(EnrollmentBatchWorker.name);

  constructor(
    private readonly config: AppConfig,
    private readonly queue: JobQueue,
    private readonly enrollment: EnrollmentService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const worker = this.config.worker.name;
    await this.queue.work<BatchItemJob>(ENROLL_BATCH_ITEM, async ({ data }) => {
      const outcome = await this.enrollment.enrollBatchItem(data.itemId, worker);
      this.logger.debug(`Batch item ${data.itemId}: ${outcome}`);
    });
    await this.queue.work<BatchItemJob>(ENROLL_BATCH_ITEM_GIVEN_UP, async ({ data }) => {
      if (await this.enrollment.giveUpBatchItem(data.itemId, worker)) this.logger.warn(`Batch item ${data.itemId} failed for good: INTERNAL`);
    });
    const { created, retry, active } = await this.queue.getStatus(ENROLL_BATCH_ITEM);
    const { concurrency, batchSize } = this.config.worker;
    this.logger.log(`Worker ${worker} on ${ENROLL_BATCH_ITEM} (${concurrency} at a time, ${batchSize} per fetch): ${created + retry} waiting, ${active} in hand elsewhere`);
  }
}
