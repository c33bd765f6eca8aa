import { Module } from '@nestjs/common';
import { ConfigModule } from '../../config/src/index.js';
import { DatabaseModule, JobsModule } from '../../database/src/index.js';
import { ClusteringService } from './clustering.service.js';
import { EnrollmentBatchService } from './enrollment-batch.service.js';
import { EnrollmentService } from './enrollment.service.js';
import { FaceAnalysisService } from './face-analysis.service.js';
import { FaceIndexService } from './face-index.service.js';
import { GalleryService } from './gallery.service.js';
import { IndexChangeRetentionService } from './index-change-retention.service.js';
import { ModelFileStore } from './model-file.store.js';
import { ModelRegistryService } from './model-registry.service.js';
import { ProbeFaceSource } from './probe-face.source.js';
import { SearchService } from './search.service.js';

/** The domain: joins configuration, storage, inference and the vector index. */
@Module({
  imports: [ConfigModule, DatabaseModule, JobsModule],
  providers: [
    FaceAnalysisService, FaceIndexService, IndexChangeRetentionService, EnrollmentService, EnrollmentBatchService, SearchService, GalleryService, ClusteringService,
    ModelFileStore, ProbeFaceSource, ModelRegistryService,
  ],
  exports: [
    FaceAnalysisService, FaceIndexService, EnrollmentService, EnrollmentBatchService, SearchService, GalleryService, ClusteringService, ModelRegistryService,
  ],
})
export class RecognitionModule {}
