import { Args, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { Principal } from '../../../../libs/access/src/index.js';
import { GalleryService } from '../../../../libs/recognition/src/index.js';
import { CurrentPrincipal, RequireRole } from '../auth/access.decorators.js';
import { IdentityEraseInput } from './inputs/access.inputs.js';
import { GalleryCreateInput } from './inputs/face.inputs.js';
import { IdArgs, IdentitiesArgs, IdentityArgs, PageArgs } from './inputs/page.args.js';
import { ErasureResultModel } from './models/access.model.js';
import { DeletionResultModel, GalleryConnectionModel, GalleryModel } from './models/gallery.model.js';
import { FaceModel, IdentityConnectionModel, IdentityModel } from './models/identity.model.js';

@Resolver(() => GalleryModel)
export class GalleryResolver {
  constructor(private readonly galleryService: GalleryService) {}

  @Mutation(() => GalleryModel)
  @RequireRole('operator')
  createGallery(@Args('input') input: GalleryCreateInput, @CurrentPrincipal() { tenantId }: Principal) {
    return this.galleryService.createGallery(tenantId, input.name.trim());
  }

  @Mutation(() => DeletionResultModel, { description: 'Erases the gallery with every identity, face, crop and embedding in it.' })
  @RequireRole('operator')
  deleteGallery(@Args() { id }: IdArgs, @CurrentPrincipal() { tenantId }: Principal) {
    return this.galleryService.deleteGallery(tenantId, id);
  }

  @Query(() => GalleryConnectionModel, { description: 'The galleries of the caller\'s tenant.' })
  @RequireRole('reader')
  galleries(@Args() page: PageArgs, @CurrentPrincipal() { tenantId }: Principal) {
    return this.galleryService.listGalleries(tenantId, { first: page.first, after: page.after ?? undefined });
  }

  @Query(() => GalleryModel)
  @RequireRole('reader')
  gallery(@Args() { id }: IdArgs, @CurrentPrincipal() { tenantId }: Principal) {
    return this.galleryService.getGallery(tenantId, id);
  }
}

@Resolver(() => IdentityModel)
export class IdentityResolver {
  constructor(private readonly galleryService: GalleryService) {}

  @Query(() => IdentityConnectionModel)
  @RequireRole('reader')
  identities(@Args() args: IdentitiesArgs, @CurrentPrincipal() { tenantId }: Principal) {
    return this.galleryService.listIdentities({ tenantId, galleryId: args.galleryId }, { first: args.first, after: args.after ?? undefined });
  }

  @Query(() => IdentityModel)
  @RequireRole('reader')
  identity(@Args() args: IdentityArgs, @CurrentPrincipal() { tenantId }: Principal) {
    return this.galleryService.getIdentity({ tenantId, galleryId: args.galleryId }, args.externalId);
  }

  @Mutation(() => DeletionResultModel, { description: 'Erases the identity with all its faces, crops and embeddings.' })
  @RequireRole('operator')
  deleteIdentity(@Args() { id }: IdArgs, @CurrentPrincipal() { tenantId }: Principal) {
    return this.galleryService.deleteIdentity(tenantId, id);
  }

  @Mutation(() => ErasureResultModel, {
    description: 'Erasure request for a person known by externalId: identity, faces, aligned crops and embeddings of every model space, in one transaction.',
  })
  @RequireRole('operator')
  eraseIdentity(@Args('input') input: IdentityEraseInput, @CurrentPrincipal() { tenantId }: Principal) {
    return this.galleryService.eraseIdentity({ tenantId, galleryId: input.galleryId }, input.externalId);
  }

  @Mutation(() => DeletionResultModel, { description: 'Erases one enrolled face with its crop and embeddings.' })
  @RequireRole('operator')
  deleteFace(@Args() { id }: IdArgs, @CurrentPrincipal() { tenantId }: Principal) {
    return this.galleryService.deleteFace(tenantId, id);
  }

  @ResolveField(() => [FaceModel])
  faces(@Parent() identity: IdentityModel) {
    return this.galleryService.facesOf(identity.id);
  }
}
