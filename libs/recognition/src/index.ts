export * from './enrollment.service.js';
export * from './face-analysis.service.js';
export * from './face-index.service.js';
export * from './face-pipeline.options.js';
export * from './gallery.service.js';
export * from './recognition.module.js';
export * from './recognition.types.js';
export * from './search.service.js';
