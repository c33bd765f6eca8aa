import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { Principal } from '../../../../libs/access/src/index.js';
import { ModelMigrationService } from '../../../../libs/recognition/src/index.js';
import { CurrentPrincipal, RequireRole } from '../auth/access.decorators.js';
import { IdArgs } from './inputs/page.args.js';
import { ModelMigrationStartInput } from './inputs/model-migration.inputs.js';
import { ModelMigrationModel } from './models/model-migration.model.js';

/** Model migrations (admin role): start, follow, pause and resume the re-embedding of stored faces. */
@Resolver(() => ModelMigrationModel)
export class ModelMigrationResolver {
  constructor(private readonly migrations: ModelMigrationService) {}

  @Mutation(() => ModelMigrationModel, { description: 'Starts re-embedding the stored crops with another model; worker processes do the work. Poll modelMigration for progress.' })
  @RequireRole('admin')
  startModelMigration(@Args('input') input: ModelMigrationStartInput, @CurrentPrincipal() { tenantId }: Principal) {
    return this.migrations.start({ tenantId, toModelId: input.to, fromModelId: input.from, galleryId: input.galleryId, adapterId: input.adapterId });
  }

  @Query(() => ModelMigrationModel)
  @RequireRole('admin')
  modelMigration(@Args() { id }: IdArgs, @CurrentPrincipal() { tenantId }: Principal) {
    return this.migrations.get(tenantId, id);
  }

  @Mutation(() => ModelMigrationModel, { description: 'Stops the backfill after the batches in hand; nothing done is lost.' })
  @RequireRole('admin')
  pauseModelMigration(@Args() { id }: IdArgs, @CurrentPrincipal() { tenantId }: Principal) {
    return this.migrations.pause(tenantId, id);
  }

  @Mutation(() => ModelMigrationModel, { description: 'Continues a paused backfill where it stopped.' })
  @RequireRole('admin')
  resumeModelMigration(@Args() { id }: IdArgs, @CurrentPrincipal() { tenantId }: Principal) {
    return this.migrations.resume(tenantId, id);
  }
}
