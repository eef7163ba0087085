// Peer for bench/wasm.ts: the same LeNet (conv 5×5×8 'same' + relu, 2×2 max-pool, conv 5×5×16
// 'same' + relu, 2×2 max-pool, dense 10, softmax cross-entropy) in jax-js on its wasm device:
// jit(valueAndGrad(loss)) for the step, then a plain SGD update of each param (eager ops; the
// optimizer is not the measured part). Prints one JSON line: median and mean images/s.
// Usage: node bench/peers/jaxjs_lenet.mjs BATCH STEPS  (random inputs)
globalThis.navigator ??= {}; // jax-js looks for navigator (platform-notes.md)
const { numpy: np, nn, lax, jit, valueAndGrad, init, defaultDevice, random } = await import("@jax-js/jax");

const [B, steps] = process.argv.slice(2).map(Number);
await init("wasm");
defaultDevice("wasm");
const u = (key, shape, fan) => random.uniform(random.key(key), shape, { minval: -1 / Math.sqrt(fan), maxval: 1 / Math.sqrt(fan) });
let params = { K1: u(1, [8, 1, 5, 5], 25), b1: np.zeros([1, 8, 1, 1]), K2: u(2, [16, 8, 5, 5], 200), b2: np.zeros([1, 16, 1, 1]), W: u(3, [784, 10], 784), b: np.zeros([10]) };
const pool = (h, c, n) => np.max(h.reshape([B, c, n, 2, n, 2]), [3, 5]);
function loss(p, x, y) {
  const h1 = pool(nn.relu(lax.conv(x, p.K1, [1, 1], "SAME").add(p.b1)), 8, 14);
  const h2 = pool(nn.relu(lax.conv(h1, p.K2, [1, 1], "SAME").add(p.b2)), 16, 7);
  const logits = np.matmul(h2.reshape([B, 784]), p.W).add(p.b);
  return np.sum(y.mul(nn.logSoftmax(logits, -1))).mul(-1 / B);
}
const step = jit(valueAndGrad(loss));
const x = random.uniform(random.key(4), [B, 1, 28, 28]);
const y = nn.oneHot(random.randint(random.key(5), { shape: [B], minval: 0, maxval: 10 }), 10);
async function once() {
  const [l, g] = step(params, x.ref, y.ref);
  // `params` was consumed by the step; the update consumes the step's outputs.
  params = Object.fromEntries(Object.keys(g).map((k) => [k, (params2[k]).sub(g[k].mul(0.01))]));
  return (await l.data())[0];
}
let params2 = params;
const run = async () => { const keep = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.ref])); params2 = params; params = keep; return once(); };
await run(); // warm-up (compiles)
const ms = [];
let last;
for (let i = 0; i < steps; i++) { const t = performance.now(); last = await run(); ms.push(performance.now() - t); }
ms.sort((a, b) => a - b);
console.log(JSON.stringify({ device: "wasm", loss: last, median: B / (ms[ms.length >> 1] / 1000), mean: (B * steps) / (ms.reduce((a, b) => a + b, 0) / 1000) }));
