import { Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AppConfig, ConfigModule } from '../../config/src/index.js';
import { DatabaseModule, JobsModule } from '../../database/src/index.js';
import { ClusteringService } from './clustering.service.js';
import { EnrollmentBatchService } from './enrollment-batch.service.js';
import { EnrollmentService } from './enrollment.service.js';
import { FaceAnalysisService } from './face-analysis.service.js';
import { FaceIndex } from './face-index.port.js';
import { FaceIndexService } from './face-index.service.js';
import { GalleryService } from './gallery.service.js';
import { IndexChangeRetentionService } from './index-change-retention.service.js';
import { PgvectorFaceIndexService } from './pgvector-face-index.service.js';
import { SearchService } from './search.service.js';

/** The domain: joins configuration, storage, inference and the vector index. */
@Module({
  imports: [ConfigModule, DatabaseModule, JobsModule],
  providers: [
    FaceAnalysisService, IndexChangeRetentionService, EnrollmentService, EnrollmentBatchService, SearchService, GalleryService, ClusteringService,
    // The backend INDEX_BACKEND names; only that one is created, so only it boots (and gets its lifecycle hooks).
    {
      provide: FaceIndex,
      inject: [AppConfig, ModuleRef],
      useFactory: (config: AppConfig, moduleRef: ModuleRef) =>
        moduleRef.create<FaceIndex>(config.index.backend === 'pgvector' ? PgvectorFaceIndexService : FaceIndexService),
    },
  ],
  exports: [FaceAnalysisService, FaceIndex, EnrollmentService, EnrollmentBatchService, SearchService, GalleryService, ClusteringService],
})
export class RecognitionModule {}
