import { Args, Query, Resolver } from '@nestjs/graphql';
import type { Principal } from '../../../../libs/access/src/index.js';
import { ClusteringService } from '../../../../libs/recognition/src/index.js';
import { CurrentPrincipal, RequireRole } from '../auth/access.decorators.js';
import { ImageInputReader } from '../upload/image-input.reader.js';
import { ClusterAssignInput, ClusterFacesInput } from './inputs/cluster.inputs.js';
import { ClusterAssignmentModel, ClusterResultModel } from './models/cluster.model.js';

@Resolver()
export class ClusterResolver {
  constructor(
    private readonly clustering: ClusteringService,
    private readonly images: ImageInputReader,
  ) {}

  @Query(() => ClusterResultModel, { description: 'Groups the faces of a gallery into people (average-linkage agglomerative clustering at the decision threshold).' })
  @RequireRole('reader')
  clusterFaces(@Args('input') input: ClusterFacesInput, @CurrentPrincipal() { tenantId }: Principal) {
    return this.clustering.clusterFaces({ ...input, tenantId });
  }

  @Query(() => ClusterAssignmentModel, { description: 'Assigns the largest face of a photo to one of the given clusters, or to none (a new person).' })
  @RequireRole('reader')
  assignFaceToCluster(@Args('input') input: ClusterAssignInput, @CurrentPrincipal() { tenantId }: Principal) {
    return this.clustering.assignFace({
      tenantId,
      galleryId: input.galleryId,
      clusters: input.clusters,
      image: this.images.read(input.image, input.imageBase64, 'image'),
      threshold: input.threshold,
      far: input.far,
    });
  }
}
