import { Field, Float, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { JsonScalar } from './json.scalar.js';

export enum ModelKindModel {
  detector = 'detector',
  embedder = 'embedder',
}
registerEnumType(ModelKindModel, { name: 'ModelKind' });

export enum ModelSourceModel {
  bundled = 'bundled',
  imported = 'imported',
}
registerEnumType(ModelSourceModel, {
  name: 'ModelSource',
  description: 'bundled: a manifest of MODEL_MANIFEST_DIR, recorded when a process runs it. imported: by registerModel, kept in MODEL_STORE_DIR.',
});

export enum ModelStatusModel {
  validated = 'validated',
  active = 'active',
}
registerEnumType(ModelStatusModel, {
  name: 'ModelStatus',
  description: 'validated: may be made active. active: the embedder processes load at boot (at most one; none: EMBEDDER_MODEL).',
});

@ObjectType('ThresholdAtFar')
export class ThresholdAtFarModel {
  @Field(() => Float) far: number;
  @Field(() => Float) squaredDistance: number;
  @Field(() => Float, { description: 'True-accept rate measured at that threshold.' }) tar: number;
}

@ObjectType('ModelThreshold', { description: "An embedder's calibrated decision thresholds (squared L2 distance between unit embeddings), from its manifest." })
export class ModelThresholdModel {
  @Field(() => Float, { description: 'The default threshold.' }) squaredDistance: number;
  @Field(() => Float, { nullable: true, description: 'False-accept rate the default was chosen for.' }) far: number | null;
  @Field(() => [ThresholdAtFarModel]) falseAcceptRates: ThresholdAtFarModel[];
  @Field(() => Float, { nullable: true }) accuracyOptimal: number | null;
  @Field({ description: 'Where the thresholds come from.' }) source: string;
}

@ObjectType('ModelVersion', { description: 'A detector or embedder of the platform-wide model registry.' })
export class ModelVersionModel {
  @Field(() => ID) id: string;
  @Field() version: string;
  @Field(() => ModelKindModel) kind: ModelKindModel;
  @Field(() => Int, { nullable: true, description: 'Embedding dimension (embedders).' }) dimension: number | null;
  @Field({ description: 'sha256 of the ONNX file as its manifest names it.' }) sha256: string;
  @Field(() => ModelSourceModel) source: ModelSourceModel;
  @Field(() => ModelStatusModel) status: ModelStatusModel;
  @Field({ description: 'Whether this API process runs it now.' }) serving: boolean;
  @Field(() => Int, { description: 'Galleries pinned to this embedder by setActiveModel.' }) pinnedGalleries: number;
  @Field(() => ModelThresholdModel, { nullable: true }) threshold: ModelThresholdModel | null;
  @Field(() => JsonScalar, { description: 'The manifest: file, sha256, pre-processing, output, alignment template, thresholds.' }) manifest: Record<string, unknown>;
  @Field(() => String, { nullable: true, description: 'sha256 of the stored file (imported models; differs from sha256 when the batch dimension was made dynamic).' })
  storedSha256: string | null;
  @Field(() => JsonScalar, { nullable: true, description: 'What the import validation checked and measured (imported models).' })
  validationReport: Record<string, unknown> | null;
  @Field() createdAt: Date;
  @Field(() => Date, { nullable: true }) validatedAt: Date | null;
  @Field(() => Date, { nullable: true }) activatedAt: Date | null;
}

@ObjectType('ModelActivation')
export class ModelActivationModel {
  @Field(() => ModelVersionModel) model: ModelVersionModel;
  @Field(() => ID, { nullable: true, description: 'The gallery pinned to the model; null: made active platform-wide.' }) galleryId: string | null;
  @Field({
    description: 'Whether this process already serves that scope with the model. A new global model is loaded when processes restart; a gallery pin is served once per-gallery spaces exist (model migration).',
  })
  servedNow: boolean;
}
