export * from './brute-force.index.js';
export * from './hnsw-file.js';
export * from './partitioned-hnsw.index.js';
export * from './search-hit.js';
export * from './clustering/agglomerative-clustering.js';
export * from './int8-codec.js';
