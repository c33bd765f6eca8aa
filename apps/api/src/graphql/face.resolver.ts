import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { Principal } from '../../../../libs/access/src/index.js';
import { DomainException, ErrorCode } from '../../../../libs/common/src/index.js';
import { EnrollmentService, SearchService, VerifyQuery } from '../../../../libs/recognition/src/index.js';
import { CurrentPrincipal, RequireRole } from '../auth/access.decorators.js';
import { ImageInputReader } from '../upload/image-input.reader.js';
import { FaceDetectInput, FaceEnrollInput, IdentifyInput, VerifyInput } from './inputs/face.inputs.js';
import { EnrollFaceResultModel } from './models/identity.model.js';
import { DetectionResultModel, IdentifyResultModel, VerificationModel } from './models/search.model.js';

@Resolver()
export class FaceResolver {
  constructor(
    private readonly enrollment: EnrollmentService,
    private readonly search: SearchService,
    private readonly images: ImageInputReader,
  ) {}

  @Mutation(() => EnrollFaceResultModel, { description: 'Enrolls the face of a photo into an identity (created on first use).' })
  @RequireRole('operator')
  enrollFace(@Args('input') input: FaceEnrollInput, @CurrentPrincipal() { tenantId }: Principal) {
    return this.enrollment.enrollFace({
      tenantId,
      galleryId: input.galleryId,
      externalId: input.externalId,
      displayName: input.displayName,
      faceIndex: input.faceIndex,
      largestFaceOnly: input.largestFaceOnly,
      image: this.images.read(input.image, input.imageBase64, 'image'),
    });
  }

  @Query(() => IdentifyResultModel, { description: 'Who is this? Every face of the photo against one gallery (open set).' })
  @RequireRole('reader')
  identify(@Args('input') input: IdentifyInput, @CurrentPrincipal() { tenantId }: Principal) {
    return this.search.identify({
      tenantId,
      galleryId: input.galleryId,
      image: this.images.read(input.image, input.imageBase64, 'image'),
      k: input.k,
      threshold: input.threshold,
      far: input.far,
    });
  }

  @Query(() => VerificationModel, { description: 'Are these the same person? Image A against image B or an enrolled identity.' })
  @RequireRole('reader')
  verify(@Args('input') input: VerifyInput, @CurrentPrincipal() { tenantId }: Principal) {
    const imageA = this.images.read(input.imageA, input.imageABase64, 'imageA');
    const againstIdentity = input.galleryId != null || input.externalId != null;
    if (againstIdentity && (input.imageB != null || input.imageBBase64 != null || input.galleryId == null || input.externalId == null)) {
      throw new DomainException(ErrorCode.VALIDATION, 'Give image B, or galleryId with externalId, not both');
    }
    const query: VerifyQuery = againstIdentity
      ? { imageA, tenantId, galleryId: input.galleryId!, externalId: input.externalId!, threshold: input.threshold, far: input.far }
      : { imageA, imageB: this.images.read(input.imageB, input.imageBBase64, 'imageB'), threshold: input.threshold, far: input.far };
    return this.search.verify(query);
  }

  @Query(() => DetectionResultModel, { description: 'Faces of a photo: boxes, 5 landmarks and scores, best first.' })
  @RequireRole('reader')
  detectFaces(@Args('input') input: FaceDetectInput) {
    return this.search.detectFaces(this.images.read(input.image, input.imageBase64, 'image'));
  }
}
