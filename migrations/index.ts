import { InitialSchema1764400000000 } from './1764400000000-InitialSchema.js';
import { TenantsKeysAudit1764500000000 } from './1764500000000-TenantsKeysAudit.js';
import { IndexChanges1764600000000 } from './1764600000000-IndexChanges.js';
import { EnrollmentBatches1764700000000 } from './1764700000000-EnrollmentBatches.js';
import { Int8Embeddings1764800000000 } from './1764800000000-Int8Embeddings.js';
import { ModelRegistry1764900000000 } from './1764900000000-ModelRegistry.js';
import { ModelMigrations1765000000000 } from './1765000000000-ModelMigrations.js';

/** Every migration, oldest first. A new migration is added here as well as in its own file. */
export const MIGRATIONS = [
  InitialSchema1764400000000,
  TenantsKeysAudit1764500000000,
  IndexChanges1764600000000,
  EnrollmentBatches1764700000000,
  Int8Embeddings1764800000000,
  ModelRegistry1764900000000,
  ModelMigrations1765000000000,
];
