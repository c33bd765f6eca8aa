import { Field, ID, InputType } from '@nestjs/graphql';
import { IsOptional, IsUUID, Length, Matches } from 'class-validator';

/** Model ids name manifest files: keep them plain. */
const MODEL_ID = /^[a-z0-9][a-z0-9_.-]*$/;

@InputType()
export class ModelMigrationStartInput {
  @Field({ description: 'The model whose space the faces move to (a model id, e.g. "dlib-resnet-128").' })
  @Length(1, 100) @Matches(MODEL_ID, { message: 'to must be a model id' })
  to: string;

  @Field(() => String, { nullable: true, description: 'The space the faces are in; the serving model when omitted.' })
  @IsOptional() @Length(1, 100) @Matches(MODEL_ID, { message: 'from must be a model id' })
  from?: string | null;

  @Field(() => ID, { nullable: true, description: 'One gallery; every gallery of every tenant when omitted (admins of the default tenant only).' })
  @IsOptional() @IsUUID()
  galleryId?: string | null;

  @Field(() => String, { nullable: true, description: 'Compatibility adapter between the two spaces, recorded with the migration.' })
  @IsOptional() @Length(1, 200)
  adapterId?: string | null;
}
