export * from './adapter.store.js';
export * from './closed-form.js';
export * from './linear-algebra.js';
export * from './affine-map.js';
export * from './semi-hard-mining.js';
export * from './triplet-trainer.js';
export * from './adapter-fitting.js';
