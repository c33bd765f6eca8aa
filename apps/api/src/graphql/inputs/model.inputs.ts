import { ArgsType, Field, ID, InputType } from '@nestjs/graphql';
import { Allow, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { UploadedFile } from '../../upload/uploaded-file.js';
import { UploadScalar } from '../../upload/upload.scalar.js';
import { JsonScalar } from '../models/json.scalar.js';

@InputType()
export class ModelRegisterInput {
  @Field(() => JsonScalar, { description: 'The embedder manifest (as models/*.manifest.json, without `build`).' }) @Allow()
  manifest: Record<string, unknown>;

  @Field(() => UploadScalar, { nullable: true, description: 'The ONNX file as a multipart upload, up to MAX_UPLOAD_BYTES.' }) @Allow()
  file?: UploadedFile | null;

  @Field(() => String, { nullable: true, description: 'Or: a file in MODEL_IMPORT_DIR on the server (relative to it), for larger models.' })
  @IsOptional() @IsString() @Length(1, 1000)
  path?: string | null;
}

@InputType()
export class ModelActivateInput {
  @Field(() => ID) @IsString() @Length(1, 100)
  modelId: string;

  @Field(() => ID, { nullable: true, description: "One of the caller's galleries; none: platform-wide." }) @IsOptional() @IsUUID()
  galleryId?: string | null;
}

@ArgsType()
export class ModelIdArgs {
  @Field(() => ID) @IsString() @Length(1, 100)
  id: string;
}
