import { Module } from '@nestjs/common';
import { ConfigModule } from '../../config/src/index.js';
import { DatabaseModule, JobsModule } from '../../database/src/index.js';
import { ClusteringService } from './clustering.service.js';
import { EnrollmentBatchService } from './enrollment-batch.service.js';
import { EnrollmentService } from './enrollment.service.js';
import { FaceIndexService } from './face-index.service.js';
import { GalleryService } from './gallery.service.js';
import { IndexChangeRetentionService } from './index-change-retention.service.js';
import { ModelEmbedders } from './model-embedders.service.js';
import { ModelMigrationService } from './model-migration.service.js';
import { ModelRegistryModule } from './model-registry.module.js';
import { SearchService } from './search.service.js';

/** The domain: joins configuration, storage, inference (the models, through the registry's module) and the vector index. */
@Module({
  imports: [ConfigModule, DatabaseModule, JobsModule, ModelRegistryModule],
  providers: [
    FaceIndexService, IndexChangeRetentionService, EnrollmentService, EnrollmentBatchService, SearchService, GalleryService, ClusteringService,
    ModelEmbedders, ModelMigrationService,
  ],
  exports: [
    ModelRegistryModule, FaceIndexService, EnrollmentService, EnrollmentBatchService, SearchService, GalleryService, ClusteringService, ModelMigrationService,
  ],
})
export class RecognitionModule {}
