import { ArgsType, Field, ID, InputType } from '@nestjs/graphql';
import { IsDate, IsEnum, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { RoleModel } from '../models/access.model.js';
import { PageArgs } from './page.args.js';

/** Tenant names appear in CLI commands and logs: keep them plain. */
const TENANT_NAME = /^[a-z0-9][a-z0-9_.-]*$/;

@InputType()
export class TenantCreateInput {
  @Field({ description: 'Lower-case letters, digits, ".", "_" and "-".' })
  @Length(1, 100) @Matches(TENANT_NAME, { message: 'name must be lower-case letters, digits, ".", "_" or "-"' })
  name: string;
}

@InputType()
export class ApiKeyCreateInput {
  @Field({ description: 'Name of the tenant the key acts for (created if new).' })
  @Length(1, 100) @Matches(TENANT_NAME, { message: 'tenant must be lower-case letters, digits, ".", "_" or "-"' })
  tenant: string;

  @Field(() => RoleModel) @IsEnum(RoleModel)
  role: RoleModel;

  @Field({ description: 'What the key is for, e.g. "door-camera-3".' }) @Length(1, 200)
  name: string;
}

@InputType()
export class IdentityEraseInput {
  @Field(() => ID) @IsUUID()
  galleryId: string;

  @Field() @IsString() @Length(1, 256)
  externalId: string;
}

@ArgsType()
export class ApiKeysArgs extends PageArgs {
  @Field(() => ID, { nullable: true, description: 'Only this tenant\'s keys.' }) @IsOptional() @IsUUID()
  tenantId?: string | null;
}

@ArgsType()
export class AuditLogArgs extends PageArgs {
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID()
  tenantId?: string | null;

  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID()
  keyId?: string | null;

  @Field(() => String, { nullable: true, description: 'A GraphQL field name, e.g. eraseIdentity.' }) @IsOptional() @IsString()
  action?: string | null;

  @Field(() => Date, { nullable: true }) @IsOptional() @IsDate()
  since?: Date | null;

  @Field(() => Date, { nullable: true }) @IsOptional() @IsDate()
  until?: Date | null;
}
