import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { Connection } from './connection.model.js';

@ObjectType('Gallery', { description: 'A set of enrolled identities searched together.' })
export class GalleryModel {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field() createdAt: Date;
}

@ObjectType('GalleryConnection')
export class GalleryConnectionModel extends Connection(GalleryModel) {}

@ObjectType('DeletionResult')
export class DeletionResultModel {
  @Field(() => ID) id: string;
  @Field(() => Int, { description: 'Faces removed (with their crops and embeddings).' }) deletedFaces: number;
}
