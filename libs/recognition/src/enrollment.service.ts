import { Injectable, Optional } from '@nestjs/common';
import { DomainException, ErrorCode } from '../../common/src/index.js';
import { EnrollmentBatchRepository, EnrollmentRecord, FaceRepository, ModelMigrationRepository, NewEmbedding } from '../../database/src/index.js';
import { CROP_FORMAT, encodeCrop, FACE_ARCHIVE_ALIGNMENT } from '../../inference/src/index.js';
import { FaceAnalysisService, FaceSelection } from './face-analysis.service.js';
import { FaceIndex } from './face-index.port.js';
import { ModelEmbedders, StoredCrop } from './model-embedders.service.js';
import { EnrollmentResult, FaceQualityReport, GalleryScope, toFaceRecord } from './recognition.types.js';

export interface EnrollFaceCommand extends FaceSelection, GalleryScope {
  externalId: string;
  displayName?: string | null;
  image: Uint8Array;
}

/** What became of a batch item in one run: `skipped` when another run had settled it (or its gallery is gone). */
export type BatchItemOutcome = 'done' | 'failed' | 'skipped';

@Injectable()
export class EnrollmentService {
  constructor(
    private readonly analysis: FaceAnalysisService,
    private readonly faces: FaceRepository,
    private readonly batches: EnrollmentBatchRepository,
    private readonly migrations: ModelMigrationRepository,
    private readonly embedders: ModelEmbedders,
    // The API's in-memory index. Workers keep none: API processes read their enrollments from Postgres.
    @Optional() private readonly index?: FaceIndex,
  ) {}

  /**
   * Detects and embeds the chosen face, then stores identity, face, crop, embedding and the index
   * change in one transaction; every process's index applies the change after the commit, this one's
   * before answering. Nothing is written when any step before the commit fails, the quality gate
   * included: a face too small, blurry, turned away or doubtful is refused with LOW_QUALITY.
   */
  async enrollFace(command: EnrollFaceCommand): Promise<EnrollmentResult> {
    const { record, quality } = await this.prepare(command);
    const enrolled = await this.faces.enroll(record);
    await this.index?.catchUp(enrolled.changeId);
    return {
      identity: enrolled.identity,
      identityCreated: enrolled.identityCreated,
      faces: [{ ...toFaceRecord(enrolled.face), quality }],
    };
  }

  /**
   * Enrolls a batch item as `enrollFace` enrolls a photo (same gate, one transaction, which also
   * marks the item done) or records why not (the item fails with the error's code). Runs of the same
   * item, in one worker or several, settle it once: later runs change nothing.
   */
  async enrollBatchItem(itemId: string, worker: string): Promise<BatchItemOutcome> {
    const item = await this.batches.pending(itemId);
    if (!item) return 'skipped';
    try {
      const { record } = await this.prepare(item);
      return (await this.batches.complete(item.id, record, worker)) ? 'done' : 'skipped';
    } catch (error) {
      if (!(error instanceof DomainException)) throw error;
      return (await this.batches.fail(item.id, error.code, worker)) ? 'failed' : 'skipped';
    }
  }

  /** An item whose job failed for good (it kept erring, or its workers kept dying): it fails with INTERNAL unless settled. */
  async giveUpBatchItem(itemId: string, worker: string): Promise<boolean> {
    return this.batches.fail(itemId, ErrorCode.INTERNAL, worker);
  }

  /** Detection, embedding and the quality gate: what will be stored, or the coded reason not to. */
  private async prepare(command: EnrollFaceCommand): Promise<{ record: EnrollmentRecord; quality: FaceQualityReport }> {
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
    const crop = await encodeCrop(this.analysis.archiveCrop(image, face));
    const landmarks = face.landmarks.flatMap((p) => [p.x, p.y]);
    const record: EnrollmentRecord = {
      tenantId: command.tenantId,
      galleryId: command.galleryId,
      externalId: command.externalId,
      displayName: command.displayName,
      face: {
        box: face.box,
        landmarks,
        detectorScore: face.score,
        detectorModelId: this.analysis.detectorId,
        sourceSha256: image.sha256,
        sourceWidth: image.width,
        sourceHeight: image.height,
        crop,
        cropFormat: CROP_FORMAT,
        cropTemplate: FACE_ARCHIVE_ALIGNMENT.id,
      },
      embedding: { modelVersionId: this.analysis.embedderId, vector: face.embedding },
      migrationEmbeddings: await this.migrationEmbeddings(command.galleryId, { crop, cropTemplate: FACE_ARCHIVE_ALIGNMENT.id, landmarks }),
    };
    return { record, quality };
  }

  /**
   * The face in the space of each model migration open for the gallery, made from its stored crop
   * exactly as the backfill makes it. A migration opened after this read is not missed: the face
   * then has no embedding in that space, and the backfill gives it one.
   */
  private async migrationEmbeddings(galleryId: string, stored: StoredCrop): Promise<NewEmbedding[]> {
    const embeddings: NewEmbedding[] = [];
    for (const modelVersionId of await this.migrations.openTargets(galleryId)) {
      const [outcome] = await this.embedders.reembed(modelVersionId, [stored]);
      if ('vector' in outcome) embeddings.push({ modelVersionId, vector: outcome.vector });
    }
    return embeddings;
  }
}
