import { Field, Float, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

/** GraphQL names over the stored statuses. */
export enum ModelMigrationStatusModel {
  BACKFILLING = 'backfilling',
  PAUSED = 'paused',
  BACKFILLED = 'backfilled',
  CUT_OVER = 'cut_over',
  ROLLED_BACK = 'rolled_back',
}
registerEnumType(ModelMigrationStatusModel, {
  name: 'ModelMigrationStatus',
  description: 'BACKFILLING: workers re-embed stored crops; PAUSED: they stop after the batches in hand; BACKFILLED: every face has its new embedding or a recorded failure.',
});

@ObjectType('ModelMigrationProgress', { description: 'Counted from the stored embeddings, so it survives any restart.' })
export class ModelMigrationProgressModel {
  @Field(() => Int, { description: 'Faces in the migration\'s scope.' }) total: number;
  @Field(() => Int, { description: 'Faces with an embedding in the new space.' }) done: number;
  @Field(() => Int, { description: 'Faces whose stored crop could not be re-embedded (e.g. too narrow for the new model).' }) failed: number;
  @Field(() => Float, { description: 'Faces done per second since the start.' }) facesPerSecond: number;
}

@ObjectType('ModelMigration', { description: 'Moving faces to another embedding space by re-embedding their stored crops, without re-enrolling anyone.' })
export class ModelMigrationModel {
  @Field(() => ID) id: string;
  @Field({ description: 'Model id of the space the faces come from.' }) fromModelId: string;
  @Field({ description: 'Model id of the space they move to.' }) toModelId: string;
  @Field(() => ID, { nullable: true, description: 'null: every gallery.' }) galleryId: string | null;
  @Field(() => String, { nullable: true }) adapterId: string | null;
  @Field(() => ModelMigrationStatusModel) status: ModelMigrationStatusModel;
  @Field(() => ModelMigrationProgressModel) progress: ModelMigrationProgressModel;
  @Field() startedAt: Date;
  @Field(() => Date, { nullable: true, description: 'When the backfill should be done at the rate so far; null unless backfilling.' }) eta: Date | null;
  @Field(() => Date, { nullable: true }) backfilledAt: Date | null;
}
