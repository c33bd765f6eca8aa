import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { VerifiedFaceModel } from './search.model.js';

@ObjectType('FaceCluster', { description: 'Faces the clustering takes for one person.' })
export class FaceClusterModel {
  @Field(() => [ID]) faceIds: string[];
  @Field(() => [ID], { description: 'Distinct enrolled identities of these faces (more than one: possibly the same person enrolled twice).' })
  identityIds: string[];
  @Field(() => Int) size: number;
}

@ObjectType('ClusterResult')
export class ClusterResultModel {
  @Field(() => [FaceClusterModel], { description: 'Largest first.' }) clusters: FaceClusterModel[];
  @Field(() => Float, { description: 'Squared-distance threshold the average linkage was cut at.' }) threshold: number;
  @Field(() => Float, { nullable: true, description: 'False-accept rate that threshold was calibrated for (null for a raw threshold).' }) far: number | null;
  @Field({ description: 'Linkage of the agglomerative clustering: "average".' }) linkage: string;
  @Field() modelVersion: string;
}

@ObjectType('ClusterAssignment', { description: 'Where a new face goes among existing clusters, without re-clustering.' })
export class ClusterAssignmentModel {
  @Field(() => Int, { nullable: true, description: 'Index into the given clusters; null when the face is nobody\'s (a new person).' })
  clusterIndex: number | null;
  @Field(() => Float, { nullable: true, description: 'Mean squared distance to the chosen cluster\'s nearest members.' })
  distance: number | null;
  @Field(() => Float) threshold: number;
  @Field(() => Float, { nullable: true }) far: number | null;
  @Field(() => VerifiedFaceModel, { description: 'The face assigned (the largest of the photo).' }) face: VerifiedFaceModel;
}
