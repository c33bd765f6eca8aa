import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DomainException, ErrorCode } from '../../common/src/index.js';
import { AppConfig } from '../../config/src/index.js';
import { EmbeddingLabel, EmbeddingRepository, IndexedEmbedding } from '../../database/src/index.js';
import { PartitionedHnswIndex, SearchHit } from '../../vector-index/src/index.js';
import { FaceAnalysisService } from './face-analysis.service.js';

interface LabelOwner {
  identityId: string;
  faceId: string;
}

export interface FaceHit extends SearchHit, LabelOwner {}

/**
 * The in-memory HNSW index of the active embedding space, partitioned by gallery. Postgres is the
 * source of truth: the index is rebuilt from it at boot, and every committed change is applied
 * here after its transaction commits.
 */
@Injectable()
export class FaceIndexService implements OnApplicationBootstrap {
  private readonly logger = new Logger(FaceIndexService.name);
  private index: PartitionedHnswIndex;
  private readonly owners = new Map<number, LabelOwner>();
  private ready = false;

  constructor(
    private readonly config: AppConfig,
    private readonly analysis: FaceAnalysisService,
    private readonly embeddings: EmbeddingRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.rebuild();
  }

  get isReady(): boolean {
    return this.ready;
  }

  get size(): number {
    return this.index?.size ?? 0;
  }

  get modelVersionId(): string {
    return this.analysis.embedderId;
  }

  /** Rebuilds the index from every stored embedding of the active model. */
  async rebuild(): Promise<void> {
    const started = performance.now();
    const model = this.modelVersionId;
    const count = await this.embeddings.count(model);
    this.index = new PartitionedHnswIndex({
      dimension: this.analysis.dimension,
      m: this.config.index.m,
      efConstruction: this.config.index.efConstruction,
      efSearch: this.config.index.efSearch,
      exactSearchMaxSize: this.config.index.exactSearchMaxFaces,
      initialCapacity: Math.max(1024, Math.ceil(count * 1.25)),
    });
    this.owners.clear();
    for await (const batch of this.embeddings.streamForModel(model)) {
      for (const row of batch) this.add(row);
    }
    this.ready = true;
    this.logger.log(`Index ${model}: ${this.index.size} faces loaded from Postgres in ${Math.round(performance.now() - started)} ms`);
  }

  add(row: IndexedEmbedding): void {
    if (row.vector.length !== this.index.dimension) {
      throw new DomainException(
        ErrorCode.DIMENSION_MISMATCH,
        `Embedding ${row.label} has ${row.vector.length} dimensions; model ${this.modelVersionId} has ${this.index.dimension}`,
      );
    }
    this.index.add(row.label, row.vector, row.galleryId);
    this.owners.set(row.label, { identityId: row.identityId, faceId: row.faceId });
  }

  /** Applies committed deletions; labels of other models' spaces are not held here. */
  remove(labels: EmbeddingLabel[]): void {
    for (const { label, modelVersionId } of labels) {
      if (modelVersionId !== this.modelVersionId) continue;
      this.index.remove(label);
      this.owners.delete(label);
    }
  }

  /** Nearest identities of one gallery, each represented by its best face, best first. */
  searchIdentities(galleryId: string, vector: Float32Array, k: number): FaceHit[] {
    return this.index
      .searchGroups(vector, k, galleryId, (label) => this.owners.get(label)!.identityId)
      .map((hit) => ({ ...hit, ...this.owners.get(hit.label)! }));
  }
}
