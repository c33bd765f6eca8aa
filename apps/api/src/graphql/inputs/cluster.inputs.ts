import { Field, ID, InputType } from '@nestjs/graphql';
import { ArrayMinSize, IsArray, IsOptional, IsUUID } from 'class-validator';
import { ImageInput, NoFields, WithDecisionThreshold } from './face.inputs.js';

@InputType()
export class ClusterFacesInput extends WithDecisionThreshold(NoFields) {
  @Field(() => ID) @IsUUID()
  galleryId: string;

  @Field(() => [ID], { nullable: true, description: 'Cluster only these faces of the gallery (all of them when absent).' })
  @IsOptional() @IsUUID(undefined, { each: true })
  faceIds?: string[] | null;

}

@InputType()
export class ClusterAssignInput extends WithDecisionThreshold(ImageInput) {
  @Field(() => ID) @IsUUID()
  galleryId: string;

  @Field(() => [[ID]], { description: 'Existing clusters as lists of face ids (e.g. from clusterFaces); the answer indexes this list.' })
  @IsArray() @ArrayMinSize(1)
  clusters: string[][];

}
