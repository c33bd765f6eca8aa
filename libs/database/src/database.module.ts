import { Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/src/index.js';
import { DatabaseConnection } from './database.connection.js';
import { PgvectorFaceStore } from './pgvector/pgvector-face.store.js';
import { ApiKeyRepository } from './repositories/api-key.repository.js';
import { AuditRepository } from './repositories/audit.repository.js';
import { EmbeddingRepository } from './repositories/embedding.repository.js';
import { FaceRepository } from './repositories/face.repository.js';
import { GalleryRepository } from './repositories/gallery.repository.js';
import { IdentityRepository } from './repositories/identity.repository.js';
import { IndexChangeListener } from './repositories/index-change.listener.js';
import { IndexChangeRepository } from './repositories/index-change.repository.js';
import { ModelVersionRepository } from './repositories/model-version.repository.js';
import { TenantRepository } from './repositories/tenant.repository.js';

const REPOSITORIES = [
  TenantRepository, ApiKeyRepository, AuditRepository, GalleryRepository, IdentityRepository, FaceRepository, EmbeddingRepository, IndexChangeRepository,
  IndexChangeListener, ModelVersionRepository,
];

/** Postgres (embedded or DATABASE_URL), migrated at boot, and the repositories over it. */
@Global()
@Module({
  providers: [
    DatabaseConnection,
    { provide: DataSource, inject: [DatabaseConnection], useFactory: (connection: DatabaseConnection) => connection.open() },
    ...REPOSITORIES,
    // Connects only when opened: by the pgvector face index (INDEX_BACKEND=pgvector).
    {
      provide: PgvectorFaceStore,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new PgvectorFaceStore({ url: config.index.pgvectorUrl, efSearch: config.index.efSearch }),
    },
  ],
  exports: [DatabaseConnection, DataSource, PgvectorFaceStore, ...REPOSITORIES],
})
export class DatabaseModule {}
