import { Field, Float, ID, ObjectType } from '@nestjs/graphql';
import { Connection } from './connection.model.js';
import { BoxModel, PointModel } from './geometry.model.js';
import { FaceQualityModel } from './quality.model.js';

@ObjectType('Face', { description: 'An enrolled face. Its aligned crop is stored; the source photo is not.' })
export class FaceModel {
  @Field(() => ID) id: string;
  @Field(() => ID) identityId: string;
  @Field(() => ID) galleryId: string;
  @Field(() => Float, { description: 'Detector confidence.' }) score: number;
  @Field(() => BoxModel) box: BoxModel;
  @Field(() => [PointModel], { description: 'Right eye, left eye, nose tip, right and left mouth corners (as seen in the image).' })
  landmarks: PointModel[];
  @Field({ description: 'sha256 of the uploaded photo.' }) sourceSha256: string;
  @Field() createdAt: Date;
  @Field(() => FaceQualityModel, { nullable: true, description: 'Measured at enrollment: in the enrollFace answer only, not stored (null afterwards).' })
  quality: FaceQualityModel | null;
}

@ObjectType('Identity', { description: 'A person in a gallery, known by the caller\'s externalId.' })
export class IdentityModel {
  @Field(() => ID) id: string;
  @Field(() => ID) galleryId: string;
  @Field() externalId: string;
  @Field(() => String, { nullable: true }) displayName: string | null;
  @Field() createdAt: Date;
}

@ObjectType('IdentityConnection')
export class IdentityConnectionModel extends Connection(IdentityModel) {}

@ObjectType('EnrollFaceResult')
export class EnrollFaceResultModel {
  @Field(() => IdentityModel) identity: IdentityModel;
  @Field({ description: 'True when this enrollment created the identity.' }) identityCreated: boolean;
  @Field(() => [FaceModel]) faces: FaceModel[];
}
