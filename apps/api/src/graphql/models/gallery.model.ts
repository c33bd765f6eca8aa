import { Field, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('Gallery', { description: 'A set of enrolled identities searched together.' })
export class GalleryModel {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field() createdAt: Date;
}

@ObjectType('GalleryConnection')
export class GalleryConnectionModel {
  @Field(() => [GalleryModel]) nodes: GalleryModel[];
  @Field(() => Int) totalCount: number;
  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page.' }) endCursor: string | null;
  @Field() hasNextPage: boolean;
}

@ObjectType('DeletionResult')
export class DeletionResultModel {
  @Field(() => ID) id: string;
  @Field(() => Int, { description: 'Faces removed (with their crops and embeddings).' }) deletedFaces: number;
}
