import { Args, Query, Resolver } from '@nestjs/graphql';
import { ClusteringService } from '../../../../libs/recognition/src/index.js';
import { ClusterFacesInput } from './inputs/cluster.inputs.js';
import { ClusterResultModel } from './models/cluster.model.js';

@Resolver()
export class ClusterResolver {
  constructor(private readonly clustering: ClusteringService) {}

  @Query(() => ClusterResultModel, { description: 'Groups the faces of a gallery into people (average-linkage agglomerative clustering at the decision threshold).' })
  clusterFaces(@Args('input') input: ClusterFacesInput) {
    return this.clustering.clusterFaces(input);
  }
}
