import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode } from '../../common/src/index.js';
import { FaceRepository } from '../../database/src/index.js';
import { encodePng } from '../../inference/src/index.js';
import { FaceAnalysisService, FaceSelection } from './face-analysis.service.js';
import { FaceIndexService } from './face-index.service.js';
import { EnrollmentResult, GalleryScope, toFaceRecord } from './recognition.types.js';

export interface EnrollFaceCommand extends FaceSelection, GalleryScope {
  externalId: string;
  displayName?: string | null;
  image: Uint8Array;
}

@Injectable()
export class EnrollmentService {
  constructor(
    private readonly analysis: FaceAnalysisService,
    private readonly faces: FaceRepository,
    private readonly index: FaceIndexService,
  ) {}

  /**
   * Detects and embeds the chosen face, then stores identity, face, crop, embedding and the index
   * change in one transaction; every process's index applies the change after the commit, this one's
   * before answering. Nothing is written when any step before the commit fails, the quality gate
   * included: a face too small, blurry, turned away or doubtful is refused with LOW_QUALITY.
   */
  async enrollFace(command: EnrollFaceCommand): Promise<EnrollmentResult> {
    const { image, face } = await this.analysis.analyzeOne(command.image, command);
    const quality = this.analysis.assessQuality(image, face);
    if (quality.reasons.length > 0) {
      const { reasons, ...measures } = quality;
      throw new DomainException(
        ErrorCode.LOW_QUALITY,
        `The face is not good enough to enroll (${reasons.join(', ')}); use a sharper, larger, more frontal photo`,
        { reasons, quality: measures },
      );
    }
    const enrolled = await this.faces.enroll({
      tenantId: command.tenantId,
      galleryId: command.galleryId,
      externalId: command.externalId,
      displayName: command.displayName,
      face: {
        box: face.box,
        landmarks: face.landmarks.flatMap((p) => [p.x, p.y]),
        detectorScore: face.score,
        detectorModelId: this.analysis.detectorId,
        sourceSha256: image.sha256,
        sourceWidth: image.width,
        sourceHeight: image.height,
        crop: await encodePng(face.crop),
        cropFormat: 'png',
        cropTemplate: this.analysis.cropTemplate,
      },
      embedding: { modelVersionId: this.analysis.embedderId, vector: face.embedding },
    });
    await this.index.catchUp(enrolled.changeId);
    return {
      identity: enrolled.identity,
      identityCreated: enrolled.identityCreated,
      faces: [{ ...toFaceRecord(enrolled.face), quality }],
    };
  }
}
