import { describeFaceIndexContract } from './face-index.contract.js';

/** The face index contract on the in-memory HNSW replica (INDEX_BACKEND=hnsw, the default). */
describeFaceIndexContract({ name: 'hnsw', env: () => ({ INDEX_BACKEND: 'hnsw' }) });
