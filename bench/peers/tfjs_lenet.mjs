// Peer for bench/wasm.ts: the same LeNet (conv 5×5×8 'same' + relu, 2×2 max-pool, conv 5×5×16
// 'same' + relu, 2×2 max-pool, dense 10, softmax cross-entropy, Adam lr 1e-3) trained with
// TensorFlow.js's pure-JavaScript `cpu` backend (its wasm backend cannot train convolutions:
// Conv2DBackpropFilter is not registered). Prints one JSON line: median and mean images/s.
// Usage: node bench/peers/tfjs_lenet.mjs BATCH STEPS  (random inputs: the speed does not depend on them)
import * as tf from "@tensorflow/tfjs";

const [batch, steps] = process.argv.slice(2).map(Number);
await tf.setBackend("cpu");
const model = tf.sequential({ layers: [
  tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, padding: "same", activation: "relu" }),
  tf.layers.maxPooling2d({ poolSize: 2 }),
  tf.layers.conv2d({ filters: 16, kernelSize: 5, padding: "same", activation: "relu" }),
  tf.layers.maxPooling2d({ poolSize: 2 }),
  tf.layers.flatten(),
  tf.layers.dense({ units: 10 }),
] });
const opt = tf.train.adam(1e-3);
const x = tf.randomUniform([batch, 28, 28, 1]);
const y = tf.oneHot(tf.randomUniform([batch], 0, 10, "int32"), 10).toFloat();
const step = () => tf.tidy(() => opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x)), true).dataSync()[0]);
step(); // warm-up
const ms = [];
for (let i = 0; i < steps; i++) { const t = performance.now(); step(); ms.push(performance.now() - t); }
ms.sort((a, b) => a - b);
console.log(JSON.stringify({ backend: tf.getBackend(), version: tf.version.tfjs, median: batch / (ms[ms.length >> 1] / 1000), mean: batch * steps / (ms.reduce((a, b) => a + b, 0) / 1000) }));
