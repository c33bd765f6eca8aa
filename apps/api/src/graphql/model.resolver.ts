import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { DomainException, ErrorCode } from '../../../../libs/common/src/index.js';
import type { Principal } from '../../../../libs/access/src/index.js';
import { ModelFileSource, ModelRegistryService } from '../../../../libs/recognition/src/index.js';
import { CurrentPrincipal, RequireRole } from '../auth/access.decorators.js';
import { ModelActivateInput, ModelIdArgs, ModelRegisterInput } from './inputs/model.inputs.js';
import { ModelActivationModel, ModelVersionModel } from './models/model.model.js';

/** The platform-wide model registry (admin role). */
@Resolver()
export class ModelResolver {
  constructor(private readonly registry: ModelRegistryService) {}

  @Query(() => [ModelVersionModel], { description: 'Every model version, oldest first.' })
  @RequireRole('admin')
  models() {
    return this.registry.list();
  }

  @Query(() => ModelVersionModel)
  @RequireRole('admin')
  model(@Args() { id }: ModelIdArgs) {
    return this.registry.get(id);
  }

  @Mutation(() => ModelVersionModel, {
    description:
      'Imports an ONNX embedder from its manifest: checked (ONNX, complete, sha256, input and output) and run on real aligned faces ' +
      '(dimension, finite, deterministic, batch = singles, distinct faces) before it is stored. MODEL_INVALID with `details.reason` otherwise, storing nothing.',
  })
  @RequireRole('admin')
  registerModel(@Args('input') input: ModelRegisterInput) {
    return this.registry.register(input.manifest, modelFile(input));
  }

  @Mutation(() => ModelActivationModel, {
    description:
      'Makes an embedder active platform-wide (admins of the default tenant), or pins one of your galleries to it; MODEL_NOT_READY while a face it would serve ' +
      'has no embedding in its space (startModelMigration backfills them).',
  })
  @RequireRole('admin')
  setActiveModel(@Args('input') input: ModelActivateInput, @CurrentPrincipal() principal: Principal) {
    return this.registry.activate(input.modelId, principal.tenantId, input.galleryId ?? null);
  }
}

/** Exactly one of `file` and `path`. */
function modelFile(input: ModelRegisterInput): ModelFileSource {
  if ((input.file == null) === (input.path == null)) {
    throw new DomainException(ErrorCode.VALIDATION, 'Give exactly one of `file` (upload) or `path` (a file in MODEL_IMPORT_DIR)', { field: 'file' });
  }
  return input.file ? { bytes: input.file.buffer, truncated: input.file.truncated } : { importPath: input.path! };
}
