// Native addons (onnxruntime-node) check `data instanceof Float32Array` against the
// host realm's constructors; jest gives each test file its own realm, so share them.
const { TestEnvironment } = require('jest-environment-node');

const SHARED_GLOBALS = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Uint8Array', 'Uint8ClampedArray', 'Int8Array',
  'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array',
  'BigInt64Array', 'BigUint64Array', 'Buffer',
];

class NativeAddonEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED_GLOBALS) this.global[name] = globalThis[name];
  }
}

module.exports = NativeAddonEnvironment;
