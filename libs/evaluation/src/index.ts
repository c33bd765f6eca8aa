export * from './lfw-pairs.js';
export * from './subject-face.js';
export * from './ten-fold.js';
export * from './false-accept.js';
