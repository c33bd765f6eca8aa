export * from './adapter.store.js';
export * from './closed-form.js';
export * from './linear-algebra.js';
export * from './adapter-model.js';
export * from './semi-hard-mining.js';
export * from './triplet-trainer.js';
export * from './adapter-fitting.js';
