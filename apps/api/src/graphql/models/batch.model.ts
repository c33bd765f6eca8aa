import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { BatchItemStatus, BatchStatus } from '../../../../../libs/recognition/src/index.js';
import { Connection } from './connection.model.js';

registerEnumType(BatchStatus, { name: 'BatchStatus', description: 'QUEUED: no item processed yet; PROCESSING: some; COMPLETED: all done or failed.' });
registerEnumType(BatchItemStatus, { name: 'BatchItemStatus' });

@ObjectType('EnrollmentBatchItem')
export class EnrollmentBatchItemModel {
  @Field() externalId: string;
  @Field(() => BatchItemStatus) status: BatchItemStatus;
  @Field(() => String, { nullable: true, description: 'Why the item failed: NO_FACE, MULTIPLE_FACES, LOW_QUALITY, INVALID_IMAGE, IMAGE_TOO_LARGE, or INTERNAL when it kept failing unexpectedly.' })
  errorCode: string | null;
  @Field(() => ID, { nullable: true, description: 'The enrolled face (null until done, and once the face is deleted).' })
  faceId: string | null;
}

@ObjectType('EnrollmentBatchItemConnection')
export class EnrollmentBatchItemConnectionModel extends Connection(EnrollmentBatchItemModel) {}

@ObjectType('EnrollmentBatch', { description: 'Photos enrolled in the background by the workers; each photo is deleted once its item is processed.' })
export class EnrollmentBatchModel {
  @Field(() => ID) id: string;
  @Field(() => ID) galleryId: string;
  @Field(() => BatchStatus) status: BatchStatus;
  @Field(() => Int) total: number;
  @Field(() => Int, { description: 'Items enrolled.' }) done: number;
  @Field(() => Int, { description: 'Items refused (see their errorCode).' }) failed: number;
  @Field() createdAt: Date;
  @Field(() => Date, { nullable: true, description: 'When the last item was processed; null until then.' }) finishedAt: Date | null;
}
