import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode } from '../../common/src/index.js';
import { AppConfig } from '../../config/src/index.js';
import { BatchCounts, EnrollmentBatchRepository, NewBatchItem, Page, PageRequest } from '../../database/src/index.js';
import { BatchItemStatus, BatchStatus, EnrollmentBatch, EnrollmentBatchItem, GalleryScope } from './recognition.types.js';

/**
 * Enrollment batches as the API sees them: a batch is accepted (stored with one job per item) and
 * answered at once; workers enroll its items (see EnrollmentService.enrollBatchItem) and clients poll
 * for the outcome.
 */
@Injectable()
export class EnrollmentBatchService {
  constructor(
    private readonly config: AppConfig,
    private readonly batches: EnrollmentBatchRepository,
  ) {}

  /** Stores the batch in the tenant's gallery and enqueues its items; nothing is written when it is refused. */
  async submit(scope: GalleryScope, items: NewBatchItem[]): Promise<EnrollmentBatch> {
    const max = this.config.limits.maxBatchItems;
    if (items.length === 0) throw new DomainException(ErrorCode.VALIDATION, 'A batch needs at least one item');
    if (items.length > max) {
      throw new DomainException(ErrorCode.VALIDATION, `A batch takes at most ${max} items (MAX_BATCH_ITEMS); this one has ${items.length}: split it`, {
        maxItems: max,
        items: items.length,
      });
    }
    return toBatch(await this.batches.create(scope.tenantId, scope.galleryId, items));
  }

  /** The tenant's batch; another tenant's is NOT_FOUND. */
  async get(tenantId: string, id: string): Promise<EnrollmentBatch> {
    return toBatch(await this.batches.get(tenantId, id));
  }

  /** Items of a batch already resolved within the caller's tenant, in the order given. */
  async items(batchId: string, page: PageRequest): Promise<Page<EnrollmentBatchItem>> {
    const { nodes, ...rest } = await this.batches.items(batchId, page);
    return { ...rest, nodes: nodes.map(({ status, ...item }) => ({ ...item, status: status.toUpperCase() as BatchItemStatus })) };
  }
}

function toBatch({ pending, ...counts }: BatchCounts): EnrollmentBatch {
  const status = pending === counts.total ? BatchStatus.QUEUED : pending > 0 ? BatchStatus.PROCESSING : BatchStatus.COMPLETED;
  return { ...counts, pending, status };
}
