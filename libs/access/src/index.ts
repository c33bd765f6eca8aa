export * from './access.module.js';
export * from './api-key.service.js';
export * from './audit.service.js';
export * from './principal.js';
