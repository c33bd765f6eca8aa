// Stands in for @tensorflow/tfjs-node, which @vladmandic/face-api's Node build requires: the
// reference forward pass runs face-api's own code on tfjs-core's pure-JavaScript CPU backend
// instead of TensorFlow's native library (see jest.config.mjs).
require('@tensorflow/tfjs-backend-cpu');
const tf = require('@tensorflow/tfjs-core');

// tfjs-core's CommonJS bundle leaves out the chained Tensor methods that the umbrella
// @tensorflow/tfjs registers (tfjs-core/dist/public/chained_ops, ES modules only). These are the
// ones face-api's FaceRecognitionNet calls, each delegating to the tfjs-core op of the same
// meaning, as those chained-op files do.
const chained = {
  as3D: (t, rows, columns, depth) => tf.reshape(t, [rows, columns, depth]),
  as4D: (t, batch, rows, columns, depth) => tf.reshape(t, [batch, rows, columns, depth]),
  div: tf.div,
  mean: tf.mean,
};
for (const [name, op] of Object.entries(chained)) {
  tf.Tensor.prototype[name] = function chainedOp(...args) {
    this.throwIfDisposed();
    return op(this, ...args);
  };
}

module.exports = tf;
