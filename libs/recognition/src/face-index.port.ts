import { SearchHit } from '../../vector-index/src/index.js';

export interface FaceHit extends SearchHit {
  identityId: string;
  faceId: string;
}

/**
 * The face index as its users see it (search, enrollment, deletions, health), whichever backend
 * holds it (INDEX_BACKEND): `hnsw`, an in-memory replica per process (FaceIndexService), or
 * `pgvector`, one index shared in Postgres (PgvectorFaceIndexService). Both follow the
 * `index_changes` outbox; an abstract class so that it can be the injection token.
 */
export abstract class FaceIndex {
  /** True once it can answer searches. */
  abstract get isReady(): boolean;

  /** Faces indexed (as of the last change applied or seen). */
  abstract get size(): number;

  /** The embedding space indexed: the active embedder's model version. */
  abstract get modelVersionId(): string;

  /**
   * Returns once the index reflects outbox change `changeId` (a committed write of this process;
   * null: nothing to wait for), so that the writer's client reads its own write. Never throws.
   */
  abstract catchUp(changeId: number | null): Promise<void>;

  /** Nearest identities of one gallery, each represented by its best face, best first. */
  abstract searchIdentities(galleryId: string, vector: Float32Array, k: number): Promise<FaceHit[]>;
}
