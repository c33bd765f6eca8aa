import { Field, Float, ID, InputType } from '@nestjs/graphql';
import { ArrayMinSize, IsArray, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { ImageInput } from './face.inputs.js';

@InputType()
export class ClusterFacesInput {
  @Field(() => ID) @IsUUID()
  galleryId: string;

  @Field(() => [ID], { nullable: true, description: 'Cluster only these faces of the gallery (all of them when absent).' })
  @IsOptional() @IsUUID(undefined, { each: true })
  faceIds?: string[] | null;

  @Field(() => Float, { nullable: true, description: 'Squared-distance threshold on the average linkage; wins over far.' })
  @IsOptional() @Min(0) @Max(4)
  threshold?: number | null;

  @Field(() => Float, { nullable: true, description: 'Target false-accept rate (e.g. 0.001), mapped to the model\'s calibrated threshold; the server default (DEFAULT_FAR) when neither this nor threshold is given.' })
  @IsOptional() @Min(0) @Max(1)
  far?: number | null;
}

@InputType()
export class ClusterAssignInput extends ImageInput {
  @Field(() => ID) @IsUUID()
  galleryId: string;

  @Field(() => [[ID]], { description: 'Existing clusters as lists of face ids (e.g. from clusterFaces); the answer indexes this list.' })
  @IsArray() @ArrayMinSize(1)
  clusters: string[][];

  @Field(() => Float, { nullable: true, description: 'Squared-distance threshold; wins over far.' })
  @IsOptional() @Min(0) @Max(4)
  threshold?: number | null;

  @Field(() => Float, { nullable: true, description: 'Target false-accept rate; the server default (DEFAULT_FAR) when neither is given.' })
  @IsOptional() @Min(0) @Max(1)
  far?: number | null;
}
