import { Args, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { Principal } from '../../../../libs/access/src/index.js';
import { EnrollmentBatchService } from '../../../../libs/recognition/src/index.js';
import { CurrentPrincipal, RequireRole } from '../auth/access.decorators.js';
import { ImageInputReader } from '../upload/image-input.reader.js';
import { EnrollBatchInput } from './inputs/face.inputs.js';
import { IdArgs, PageArgs } from './inputs/page.args.js';
import { EnrollmentBatchItemConnectionModel, EnrollmentBatchModel } from './models/batch.model.js';

@Resolver(() => EnrollmentBatchModel)
export class BatchResolver {
  constructor(
    private readonly batches: EnrollmentBatchService,
    private readonly images: ImageInputReader,
  ) {}

  @Mutation(() => EnrollmentBatchModel, {
    description: 'Queues photos for enrollment by the workers and answers at once; poll enrollmentBatch for each item\'s outcome.',
  })
  @RequireRole('operator')
  enrollBatch(@Args('input') input: EnrollBatchInput, @CurrentPrincipal() { tenantId }: Principal) {
    return this.batches.submit(
      { tenantId, galleryId: input.galleryId },
      input.items.map((item, i) => ({
        externalId: item.externalId,
        displayName: item.displayName,
        image: this.images.read(null, item.imageBase64, `items[${i}].image`),
      })),
    );
  }

  @Query(() => EnrollmentBatchModel)
  @RequireRole('reader')
  enrollmentBatch(@Args() { id }: IdArgs, @CurrentPrincipal() { tenantId }: Principal) {
    return this.batches.get(tenantId, id);
  }

  @ResolveField(() => EnrollmentBatchItemConnectionModel, { description: 'The items in the order given.' })
  items(@Parent() batch: EnrollmentBatchModel, @Args() page: PageArgs) {
    return this.batches.items(batch.id, { first: page.first, after: page.after ?? undefined });
  }
}
