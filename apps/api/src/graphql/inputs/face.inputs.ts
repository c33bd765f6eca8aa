import { Field, Float, ID, InputType, Int } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { Allow, IsArray, IsBoolean, IsOptional, IsString, IsUUID, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { UploadedFile } from '../../upload/uploaded-file.js';
import { UploadScalar } from '../../upload/upload.scalar.js';

const NOT_BLANK = /\S/;

@InputType()
export class GalleryCreateInput {
  @Field() @Length(1, 200) @Matches(NOT_BLANK, { message: 'name must not be blank' })
  name: string;
}

/** Adds the decision threshold fields (raw `threshold` or target `far`) to an input type. */
export function WithDecisionThreshold<TBase extends abstract new (...args: any[]) => object>(Base: TBase) {
  @InputType({ isAbstract: true })
  abstract class DecisionThresholdInput extends Base {
    @Field(() => Float, { nullable: true, description: 'Squared-distance threshold; wins over far.' })
    @IsOptional() @Min(0) @Max(4)
    threshold?: number | null;

    @Field(() => Float, { nullable: true, description: 'Target false-accept rate (e.g. 0.001), mapped to the model\'s calibrated threshold; the server default (DEFAULT_FAR) when neither this nor threshold is given.' })
    @IsOptional() @Min(0) @Max(1)
    far?: number | null;
  }
  return DecisionThresholdInput;
}

/** Base for inputs that have no other inherited fields. */
export abstract class NoFields {}

/** An image given either as a multipart upload or as base64 (exactly one). */
@InputType({ isAbstract: true })
export abstract class ImageInput {
  @Field(() => UploadScalar, { nullable: true }) @Allow()
  image?: UploadedFile | null;

  @Field(() => String, { nullable: true, description: 'The image as base64 (a data: URL prefix is accepted).' })
  @IsOptional() @IsString()
  imageBase64?: string | null;
}

@InputType()
export class FaceDetectInput extends ImageInput {}

/** Adds the person an enrollment is for (externalId, displayName) to an input type. */
export function WithPerson<TBase extends abstract new (...args: any[]) => object>(Base: TBase) {
  @InputType({ isAbstract: true })
  abstract class PersonInput extends Base {
    @Field({ description: 'Your id for the person; the identity is created on its first enrollment in the gallery.' })
    @Length(1, 256) @Matches(NOT_BLANK, { message: 'externalId must not be blank' })
    externalId: string;

    @Field(() => String, { nullable: true }) @IsOptional() @Length(0, 256)
    displayName?: string | null;
  }
  return PersonInput;
}

@InputType()
export class FaceEnrollInput extends WithPerson(ImageInput) {
  @Field(() => ID) @IsUUID()
  galleryId: string;

  @Field(() => Int, { nullable: true, description: 'Which detected face to enroll when the photo has several (detectFaces order).' })
  @IsOptional() @Min(0)
  faceIndex?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Enroll the largest face when the photo has several.' })
  @IsOptional() @IsBoolean()
  largestFaceOnly?: boolean | null;
}

@InputType()
export class EnrollBatchItemInput extends WithPerson(NoFields) {
  @Field({ description: 'The photo as base64 (a data: URL prefix is accepted), showing one face. Kept only until the item is processed.' })
  @IsString()
  imageBase64: string;
}

@InputType()
export class EnrollBatchInput {
  @Field(() => ID) @IsUUID()
  galleryId: string;

  @Field(() => [EnrollBatchItemInput], { description: 'At most MAX_BATCH_ITEMS; the request body limit (two images\' worth of base64) bounds their total size.' })
  @IsArray() @ValidateNested({ each: true }) @Type(() => EnrollBatchItemInput)
  items: EnrollBatchItemInput[];
}

@InputType()
export class IdentifyInput extends WithDecisionThreshold(ImageInput) {
  @Field(() => ID) @IsUUID()
  galleryId: string;

  @Field(() => Int, { defaultValue: 5, description: 'Candidates (identities) per face.' })
  @Min(1)
  k = 5;

}

@InputType()
export class VerifyInput extends WithDecisionThreshold(NoFields) {
  @Field(() => UploadScalar, { nullable: true }) @Allow()
  imageA?: UploadedFile | null;

  @Field(() => String, { nullable: true }) @IsOptional() @IsString()
  imageABase64?: string | null;

  @Field(() => UploadScalar, { nullable: true }) @Allow()
  imageB?: UploadedFile | null;

  @Field(() => String, { nullable: true }) @IsOptional() @IsString()
  imageBBase64?: string | null;

  @Field(() => ID, { nullable: true, description: 'With externalId: compare image A with this enrolled identity instead of image B.' })
  @IsOptional() @IsUUID()
  galleryId?: string | null;

  @Field(() => String, { nullable: true }) @IsOptional() @IsString()
  externalId?: string | null;

}
