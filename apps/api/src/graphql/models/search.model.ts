import { Field, Float, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { MatchDecision } from '../../../../../libs/recognition/src/index.js';
import { BoxModel, PointModel } from './geometry.model.js';
import { IdentityModel } from './identity.model.js';
import { FaceQualityModel } from './quality.model.js';

registerEnumType(MatchDecision, {
  name: 'MatchDecision',
  description: 'MATCH when the best candidate is within the threshold; UNKNOWN otherwise (open set).',
});

@ObjectType('DetectedFace')
export class DetectedFaceModel {
  @Field(() => BoxModel) box: BoxModel;
  @Field(() => [PointModel]) landmarks: PointModel[];
  @Field(() => Float) score: number;
  @Field(() => FaceQualityModel) quality: FaceQualityModel;
}

@ObjectType('DetectionResult')
export class DetectionResultModel {
  @Field(() => Int) imageWidth: number;
  @Field(() => Int) imageHeight: number;
  @Field(() => [DetectedFaceModel], { description: 'Best score first; `faceIndex` refers to this order.' }) faces: DetectedFaceModel[];
}

@ObjectType('FaceMatch', { description: 'An identity of the gallery and how close its best face is.' })
export class FaceMatchModel {
  @Field(() => IdentityModel) identity: IdentityModel;
  @Field(() => ID, { description: 'The enrolled face that matched best.' }) faceId: string;
  @Field(() => Float, { description: 'Cosine similarity of the embeddings, in [-1, 1].' }) similarity: number;
  @Field(() => Float, { description: 'Squared L2 distance of the unit embeddings, in [0, 4]; thresholds apply to it.' }) distance: number;
}

@ObjectType('IdentifiedFace')
export class IdentifiedFaceModel extends DetectedFaceModel {
  @Field(() => MatchDecision) decision: MatchDecision;
  @Field(() => [FaceMatchModel], { description: 'Nearest identities, best first, one entry per identity.' }) candidates: FaceMatchModel[];
}

@ObjectType('IdentifyResult')
export class IdentifyResultModel {
  @Field(() => [IdentifiedFaceModel], { description: 'One entry per detected face.' }) faces: IdentifiedFaceModel[];
  @Field(() => Float, { description: 'Squared-distance threshold used for the decisions.' }) threshold: number;
  @Field(() => Float, { nullable: true, description: 'False-accept rate that threshold was calibrated for (null for a raw threshold).' }) far: number | null;
  @Field() modelVersion: string;
  @Field(() => Int) imageWidth: number;
  @Field(() => Int) imageHeight: number;
}

@ObjectType('VerifiedFace')
export class VerifiedFaceModel {
  @Field(() => BoxModel) box: BoxModel;
  @Field(() => Float) score: number;
}

@ObjectType('Verification')
export class VerificationModel {
  @Field() same: boolean;
  @Field(() => Float) distance: number;
  @Field(() => Float) similarity: number;
  @Field(() => Float) threshold: number;
  @Field(() => Float, { nullable: true, description: 'False-accept rate that threshold was calibrated for (null for a raw threshold).' }) far: number | null;
  @Field() modelVersion: string;
  @Field(() => VerifiedFaceModel, { description: 'The face compared in image A (its largest).' }) faceA: VerifiedFaceModel;
  @Field(() => VerifiedFaceModel, { nullable: true }) faceB: VerifiedFaceModel | null;
  @Field(() => ID, { nullable: true, description: 'Closest enrolled face when comparing with an identity.' }) matchedFaceId: string | null;
}
