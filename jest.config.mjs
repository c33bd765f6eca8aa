// ESM jest: NestJS 12 ships as ES modules, so tests run with --experimental-vm-modules
// (see package.json "test"). ts-jest transpiles each file alone (isolatedModules) for speed;
// `npm run typecheck` does the full type check.
// @tensorflow/tfjs-node (required by @vladmandic/face-api's Node build) is not installed: the dlib
// converter's reference pass runs on tfjs-core's pure-JS CPU backend (test/support/tfjs-node-cpu.cjs).
export default {
  testEnvironment: '<rootDir>/test/support/node-environment.cjs',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^@tensorflow/tfjs-node$': '<rootDir>/test/support/tfjs-node-cpu.cjs',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/{apps,libs,test}/**/*.(spec|integration-spec|e2e-spec).ts'],
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  testTimeout: 120000,
};
