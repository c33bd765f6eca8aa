import { Field, Float, ID, InputType } from '@nestjs/graphql';
import { IsOptional, IsUUID, Max, Min } from 'class-validator';

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
