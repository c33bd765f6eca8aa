import { Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AppConfig, ConfigModule } from '../../config/src/index.js';
import { DatabaseModule, JobsModule } from '../../database/src/index.js';
import { ClusteringService } from './clustering.service.js';
import { EnrollmentBatchService } from './enrollment-batch.service.js';
import { EnrollmentService } from './enrollment.service.js';
import { FaceIndex } from './face-index.port.js';
import { FaceIndexService } from './face-index.service.js';
import { GalleryService } from './gallery.service.js';
import { IndexChangeRetentionService } from './index-change-retention.service.js';
import { ModelEmbedders } from './model-embedders.service.js';
import { ModelMigrationService } from './model-migration.service.js';
import { ModelRegistryModule } from './model-registry.module.js';
import { PgvectorFaceIndexService } from './pgvector-face-index.service.js';
import { SearchService } from './search.service.js';

/** The domain: joins configuration, storage, inference (the models, through the registry's module) and the vector index. */
@Module({
  imports: [ConfigModule, DatabaseModule, JobsModule, ModelRegistryModule],
  providers: [
    IndexChangeRetentionService, EnrollmentService, EnrollmentBatchService, SearchService, GalleryService, ClusteringService, ModelEmbedders, ModelMigrationService,
    // The backend INDEX_BACKEND names; only that one is created, so only it boots (and gets its lifecycle hooks).
    {
      provide: FaceIndex,
      inject: [AppConfig, ModuleRef],
      useFactory: (config: AppConfig, moduleRef: ModuleRef) =>
        moduleRef.create<FaceIndex>(config.index.backend === 'pgvector' ? PgvectorFaceIndexService : FaceIndexService),
    },
  ],
  exports: [
    ModelRegistryModule, FaceIndex, EnrollmentService, EnrollmentBatchService, SearchService, GalleryService, ClusteringService, ModelMigrationService,
  ],
})
export class RecognitionModule {}
