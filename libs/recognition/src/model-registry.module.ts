import { Module } from '@nestjs/common';
import { ConfigModule } from '../../config/src/index.js';
import { DatabaseModule } from '../../database/src/index.js';
import { FaceAnalysisService } from './face-analysis.service.js';
import { ModelFileStore } from './model-file.store.js';
import { ModelRegistryService } from './model-registry.service.js';
import { ProbeFaceSource } from './probe-face.source.js';

/**
 * The model registry and the models it validates imports with, without the vector index: the CLI
 * boots this alone (no index rebuild); the API gets it through RecognitionModule.
 */
@Module({
  imports: [ConfigModule, DatabaseModule],
  providers: [FaceAnalysisService, ModelFileStore, ProbeFaceSource, ModelRegistryService],
  exports: [FaceAnalysisService, ModelRegistryService],
})
export class ModelRegistryModule {}
