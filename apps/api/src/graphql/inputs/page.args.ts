import { ArgsType, Field, ID, Int } from '@nestjs/graphql';
import { IsOptional, IsString, IsUUID, Max, Min } from 'class-validator';

@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: 25, description: 'Page size, 1–100.' })
  @Min(1) @Max(100)
  first = 25;

  @Field(() => String, { nullable: true, description: '`endCursor` of the previous page.' })
  @IsOptional() @IsString()
  after?: string | null;
}

@ArgsType()
export class IdentitiesArgs extends PageArgs {
  @Field(() => ID) @IsUUID()
  galleryId: string;
}

@ArgsType()
export class IdentityArgs {
  @Field(() => ID) @IsUUID()
  galleryId: string;

  @Field() @IsString()
  externalId: string;
}

@ArgsType()
export class IdArgs {
  @Field(() => ID) @IsUUID()
  id: string;
}
