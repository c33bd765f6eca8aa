import { Args, Query, Resolver } from '@nestjs/graphql';
import { ClusteringService } from '../../../../libs/recognition/src/index.js';
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
  clusterFaces(@Args('input') input: ClusterFacesInput) {
    return this.clustering.clusterFaces(input);
  }

  @Query(() => ClusterAssignmentModel, { description: 'Assigns the largest face of a photo to one of the given clusters, or to none (a new person).' })
  assignFaceToCluster(@Args('input') input: ClusterAssignInput) {
    return this.clustering.assignFace({
      galleryId: input.galleryId,
      clusters: input.clusters,
      image: this.images.read(input.image, input.imageBase64, 'image'),
      threshold: input.threshold,
      far: input.far,
    });
  }
}
