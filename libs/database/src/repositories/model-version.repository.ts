import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface ModelVersionRecord {
  id: string;
  version: string;
  kind: 'detector' | 'embedder';
  dimension: number | null;
  sha256: string;
  manifest: object;
}

@Injectable()
export class ModelVersionRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Records the model a process runs, so every stored face and embedding names a known model. */
  async upsert(record: ModelVersionRecord): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO model_versions (id, version, kind, dimension, sha256, manifest) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, kind = EXCLUDED.kind, dimension = EXCLUDED.dimension,
         sha256 = EXCLUDED.sha256, manifest = EXCLUDED.manifest, updated_at = now()`,
      [record.id, record.version, record.kind, record.dimension, record.sha256, JSON.stringify(record.manifest)],
    );
  }
}
