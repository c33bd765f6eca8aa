export * from './domain.exception.js';
export * from './vector.math.js';
export * from './random.js';
