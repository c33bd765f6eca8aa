import { Args, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { GalleryService } from '../../../../libs/recognition/src/index.js';
import { GalleryCreateInput } from './inputs/face.inputs.js';
import { IdArgs, IdentitiesArgs, IdentityArgs, PageArgs } from './inputs/page.args.js';
import { DeletionResultModel, GalleryConnectionModel, GalleryModel } from './models/gallery.model.js';
import { FaceModel, IdentityConnectionModel, IdentityModel } from './models/identity.model.js';

@Resolver(() => GalleryModel)
export class GalleryResolver {
  constructor(private readonly galleryService: GalleryService) {}

  @Mutation(() => GalleryModel)
  createGallery(@Args('input') input: GalleryCreateInput) {
    return this.galleryService.createGallery(input.name.trim());
  }

  @Mutation(() => DeletionResultModel, { description: 'Deletes the gallery with every identity, face, crop and embedding in it.' })
  deleteGallery(@Args() { id }: IdArgs) {
    return this.galleryService.deleteGallery(id);
  }

  @Query(() => GalleryConnectionModel)
  galleries(@Args() page: PageArgs) {
    return this.galleryService.listGalleries({ first: page.first, after: page.after ?? undefined });
  }

  @Query(() => GalleryModel)
  gallery(@Args() { id }: IdArgs) {
    return this.galleryService.getGallery(id);
  }
}

@Resolver(() => IdentityModel)
export class IdentityResolver {
  constructor(private readonly galleryService: GalleryService) {}

  @Query(() => IdentityConnectionModel)
  identities(@Args() args: IdentitiesArgs) {
    return this.galleryService.listIdentities(args.galleryId, { first: args.first, after: args.after ?? undefined });
  }

  @Query(() => IdentityModel)
  identity(@Args() args: IdentityArgs) {
    return this.galleryService.getIdentity(args.galleryId, args.externalId);
  }

  @Mutation(() => DeletionResultModel, { description: 'Deletes the identity with all its faces, crops and embeddings.' })
  deleteIdentity(@Args() { id }: IdArgs) {
    return this.galleryService.deleteIdentity(id);
  }

  @Mutation(() => DeletionResultModel, { description: 'Deletes one enrolled face with its crop and embeddings.' })
  deleteFace(@Args() { id }: IdArgs) {
    return this.galleryService.deleteFace(id);
  }

  @ResolveField(() => [FaceModel])
  faces(@Parent() identity: IdentityModel) {
    return this.galleryService.facesOf(identity.id);
  }
}
