import { Field, Float, ObjectType } from '@nestjs/graphql';

@ObjectType('Box', { description: 'Axis-aligned box in pixels of the upright (EXIF-rotated) image.' })
export class BoxModel {
  @Field(() => Float) x: number;
  @Field(() => Float) y: number;
  @Field(() => Float) width: number;
  @Field(() => Float) height: number;
}

@ObjectType('Point')
export class PointModel {
  @Field(() => Float) x: number;
  @Field(() => Float) y: number;
}
