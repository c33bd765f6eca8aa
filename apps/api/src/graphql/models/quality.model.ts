import { Field, Float, ObjectType, registerEnumType } from '@nestjs/graphql';
import { QualityReason } from '../../../../../libs/recognition/src/index.js';

// Its own file: both search.model (detection, identify) and identity.model (enrollment) use it, and
// search.model already imports identity.model.
registerEnumType(QualityReason, {
  name: 'QualityReason',
  description: 'Why a face fails the enrollment quality gate (thresholds: QUALITY_* environment variables).',
  valuesMap: {
    SMALL_FACE: { description: 'Eyes closer than QUALITY_MIN_INTEROCULAR pixels.' },
    BLURRY: { description: 'Sharpness below QUALITY_MIN_SHARPNESS.' },
    EXTREME_POSE: { description: 'Yaw, pitch or roll beyond QUALITY_MAX_YAW, QUALITY_MAX_PITCH or QUALITY_MAX_ROLL.' },
    LOW_CONFIDENCE: { description: 'Detector score below QUALITY_MIN_DETECTOR_SCORE.' },
  },
});

@ObjectType('FaceQuality', { description: 'Quality measures of a face; enrollment refuses a face with any reason (LOW_QUALITY).' })
export class FaceQualityModel {
  @Field(() => Float, { description: 'Distance between the eyes, in pixels of the photo.' }) interocularDistance: number;
  @Field(() => Float, { description: 'Variance of the Laplacian of the aligned grey crop; low means blurred.' }) sharpness: number;
  @Field(() => Float, { description: 'Head turn in degrees, estimated from the landmarks (positive: nose to the image\'s right).' }) yaw: number;
  @Field(() => Float, { description: 'Head nod in degrees, estimated from the landmarks (positive: face tilted up).' }) pitch: number;
  @Field(() => Float, { description: 'Tilt of the eye line in degrees (positive: clockwise in the image).' }) roll: number;
  @Field(() => Float) detectorScore: number;
  @Field(() => [QualityReason], { description: 'Why the gate refuses this face; empty when it passes.' }) reasons: QualityReason[];
}
