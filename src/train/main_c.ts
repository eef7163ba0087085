/**
 * train_main.c: a dependency-free C99 driver for an emitted training step (`lift emit c MODEL
 * --train OPT`). It does what `lift train` does (src/train/trainer.ts), in the same order and
 * with the same arithmetic, so a seed gives the same initial weights and the same batches:
 *  * reads the four MNIST-layout IDX files of DATA_DIR (uncompressed), pixels / 255;
 *  * initialises each param as src/train/init.ts does: mulberry32 seeded by the FNV-1a + fmix32
 *    hash of "SEED:init:NAME", U(−b, b) with b = 1/√fan_in (a bias takes the weight's fan-in
 *    before it), computed in double and rounded to float; optimizer state starts at 0;
 *  * shuffles each epoch with the stream "SEED:shuffle:EPOCH" (Fisher–Yates, unbiased below(n));
 *  * feeds Scale = 1/n, Lr, Step = 1, 2, … and one-hot labels; swaps P ↔ P.next after each call;
 *  * measures test accuracy with the step itself (its Logits; the updates are discarded) and
 *    writes the params as safetensors that `lift predict` reads.
 * Names reach the C only as field names (src/codegen/names.ts) and escaped string literals.
 */
import type { ModelContract, OptimizerName } from "./program.js";
import { fanIn } from "./init.js";
import { namesFor } from "./program.js";
import type { CUnit } from "../codegen/c.js";
import { commentText } from "../codegen/names.js";

export interface TrainDriverOptions {
  optimizer: OptimizerName;
  lr: number;
  epochs: number;
  batch: number;
  seed: number;
}

/** A C string literal: letters, digits and JSON's punctuation kept, `"` as `\"`, every other byte as an octal escape. */
export function cString(s: string): string {
  const keep = (ch: string) => /[A-Za-z0-9.,:{}[\] ]/.test(ch);
  return `"${[...Buffer.from(s, "utf8")]
    .map((b) => {
      const ch = String.fromCharCode(b);
      return ch === '"' ? '\\"' : keep(ch) ? ch : `\\${b.toString(8).padStart(3, "0")}`;
    })
    .join("")}"`;
}

/** The protocol of the training step, for its header. */
export function trainingNotes(c: ModelContract, opt: OptimizerName, field: (n: string) => string): string[] {
  const fields = (n: string) => commentText(field(n));
  const p = c.params[0]!.name,
    nm = namesFor(p, opt);
  return [
    `The ${opt} training step of ${commentText(c.file)}: forward pass, loss, gradients and the update of every param.`,
    `Protocol, per call (train_main.c does exactly this):`,
    `  ${fields(c.batchSize)} = n, the images in this batch (1 <= n; the last batch of an epoch may be smaller);`,
    `  Images: n x ${c.rows} x ${c.cols} pixels scaled to [0, 1]; Labels: n x ${c.classes}, one-hot rows;`,
    `  Scale = 1/n (the loss is the batch mean); Lr the learning rate; Step = 1 on the first call, then 2, 3, ...;`,
    `  every optimizer state (${nm.state.map(fields).join(", ") || "none"} ...) is 0 before the first call;`,
    `  after each call swap each param with its next value (${fields(p)} <-> ${fields(nm.next)}) and each state`,
    `  with its next value${nm.state.length ? ` (${fields(nm.state[0]!)} <-> ${fields(nm.stateNext[0]!)})` : ""}, pointers only.`,
    `  ${fields(nm.grad)} ... receive the gradients; Logits and Loss the forward pass of the params given.`,
    `In place is not allowed: no output may overlap an input or another output (inputs may share memory).`,
    `Thread safety: calls with distinct buffers and scratch may run at once; with OpenMP each call forks its own threads.`,
  ];
}

/** A param as the driver sees it: its training names, effective fan-in and element count. */
interface DriverParam {
  p: ModelContract["params"][number];
  nm: ReturnType<typeof namesFor>;
  fan: number;
  count: number;
}

/** Each param's stream name and effective fan-in (a bias takes the fan-in of the weight before it). */
function driverParams(c: ModelContract, opt: OptimizerName): DriverParam[] {
  let weightFan = 0;
  return c.params.map((p) => {
    const own = fanIn(p.shape);
    if (own > 0) weightFan = own;
    const count = p.shape.reduce((a, d) => a * d, 1);
    return { p, nm: namesFor(p.name, opt), fan: own > 0 ? own : weightFan, count };
  });
}

export function emitTrainMain(unit: CUnit, c: ModelContract, o: TrainDriverOptions): string {
  const name = unit.name,
    f = (n: string) => unit.fields[n]!;
  const params = driverParams(c, o.optimizer);
  // Binds the struct's pointers to the current buffers (called again after each swap).
  const bind: string[] = [
    `    a.${f("Images")} = images; a.${f("Labels")} = labels; a.${f("Logits")} = logits; a.${f("Scale")} = scale; a.${f("Loss")} = loss;`,
  ];
  bind.push(`    a.${f("Lr")} = &lr; a.${f("Step")} = step;`);
  params.forEach((x, n) => {
    bind.push(
      `    a.${f(x.p.name)} = P[${n}].value; a.${f(x.nm.next)} = P[${n}].next; a.${f(x.nm.grad)} = P[${n}].grad;`,
    );
    x.nm.state.forEach((s, i) =>
      bind.push(`    a.${f(s)} = P[${n}].state[${i}]; a.${f(x.nm.stateNext[i]!)} = P[${n}].state1[${i}];`),
    );
  });
  const L = [...driverHelpers(name, params), ...mainSetup(name, c, o, params)];
  L.push(`  memset(&a, 0, sizeof a);`);
  L.push(...trainLoop(name, c, f, params, bind), ...evaluation(name, c, f, bind));
  return L.join("\n");
}

/** The file's comment, includes, allocation, RNG, IDX reader, param initialisation, safetensors writer and flag parsing. */
function driverHelpers(name: string, params: DriverParam[]): string[] {
  const sorted = [...params].sort((a, b) => Buffer.compare(Buffer.from(a.p.name), Buffer.from(b.p.name)));
  const L: string[] = [];
  L.push(`/* train_main.c: trains ${name} (generated by LiFT). Plain C99, no dependency:`);
  L.push(` *   cc -O2 -std=c99 -o train train_main.c ${name}.c -lm`);
  L.push(` *   ./train DATA_DIR [--epochs E] [--batch B] [--seed S] [--lr LR] [--out FILE]`);
  L.push(` * DATA_DIR holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and`);
  L.push(` * t10k-labels-idx1-ubyte (uncompressed). The last line printed is test_accuracy=0.xxxx. */`);
  L.push(
    `#include <math.h>`,
    `#include <stdio.h>`,
    `#include <stdlib.h>`,
    `#include <string.h>`,
    `#include "${name}.h"`,
    "",
  );
  L.push(`typedef unsigned int u32;`, "");
  L.push(`static void *alloc(size_t bytes) {`, `  void *p = calloc(bytes ? bytes : 1, 1);`);
  L.push(
    `  if (!p) { fprintf(stderr, "out of memory (%lu bytes)\\n", (unsigned long)bytes); exit(1); }`,
    `  return p;`,
    `}`,
    "",
  );
  L.push(...RNG, "");
  L.push(...IDX, "");
  L.push(`/* One param: its stream name, element count, fan-in, and the buffers the step reads and writes. */`);
  L.push(
    `typedef struct { const char *name; size_t count; long fan; float *value, *next, *grad, *state[2], *state1[2]; } param;`,
    "",
  );
  L.push(`static void init_param(param *p, u32 seed) {`);
  L.push(`  char purpose[256];`, `  size_t i;`, `  u32 st;`, `  double bound;`);
  L.push(`  if (p->fan == 0) return; /* calloc'd: zeros */`);
  L.push(`  snprintf(purpose, sizeof purpose, "%lu:init:%s", (unsigned long)seed, p->name);`);
  L.push(`  st = hash32(purpose);`, `  bound = 1.0 / sqrt((double)p->fan);`);
  L.push(
    `  for (i = 0; i < p->count; i++) {`,
    `    u32 r = mulberry32(&st);`,
    `    p->value[i] = (float)((2.0 * ((double)r / 4294967296.0) - 1.0) * bound);`,
    `  }`,
    `}`,
    "",
  );
  L.push(
    ...SAFETENSORS(
      sorted.map((x) => params.indexOf(x)),
      sorted.map((x) => ({ name: x.p.name, shape: x.p.shape })),
    ),
    "",
  );
  L.push(`static int arg(int argc, char **argv, const char *flag, const char *dflt, const char **out) {`);
  L.push(
    `  int i;`,
    `  *out = dflt;`,
    `  for (i = 2; i + 1 < argc; i++) if (!strcmp(argv[i], flag)) *out = argv[i + 1];`,
    `  return 0;`,
    `}`,
    "",
  );
  return L;
}

/** `main` up to the training loop: flags, the data sets, the buffers and each param initialised. */
function mainSetup(name: string, c: ModelContract, o: TrainDriverOptions, params: DriverParam[]): string[] {
  const k = c.classes,
    px = c.rows * c.cols;
  const L: string[] = [];
  L.push(`int main(int argc, char **argv) {`);
  L.push(`  const char *s_epochs, *s_batch, *s_seed, *s_lr, *out;`);
  L.push(
    `  long epochs, batch, e, s, i, j;`,
    `  unsigned long seed_l;`,
    `  double lr_d;`,
    `  u32 seed, st;`,
    `  float lr, scale[1], loss[1], step[1];`,
  );
  L.push(
    `  idx_set train, test;`,
    `  param P[${params.length}];`,
    `  ${name}_args a;`,
    `  float *images, *labels, *logits, *swap;`,
    `  u32 *perm;`,
    `  void *scratch;`,
  );
  L.push(`  long global = 0, correct = 0;`, `  double lsum = 0;`);
  L.push(`  int q;`);
  L.push(
    `  if (argc < 2 || argv[1][0] == '-') { fprintf(stderr, "usage: %s DATA_DIR [--epochs E] [--batch B] [--seed S] [--lr LR] [--out FILE]\\n", argv[0]); return 2; }`,
  );
  L.push(
    `  arg(argc, argv, "--epochs", "${o.epochs}", &s_epochs); arg(argc, argv, "--batch", "${o.batch}", &s_batch);`,
  );
  L.push(
    `  arg(argc, argv, "--seed", "${o.seed}", &s_seed); arg(argc, argv, "--lr", "${o.lr}", &s_lr); arg(argc, argv, "--out", "model.safetensors", &out);`,
  );
  L.push(
    `  epochs = atol(s_epochs); batch = atol(s_batch); seed_l = strtoul(s_seed, NULL, 10); seed = (u32)seed_l; lr_d = atof(s_lr); lr = (float)lr_d;`,
  );
  L.push(`  if (epochs < 1 || batch < 1) { fprintf(stderr, "--epochs and --batch must be at least 1\\n"); return 2; }`);
  L.push(
    `  load_set(argv[1], "train", &train, ${c.rows}, ${c.cols}, ${k});`,
    `  load_set(argv[1], "t10k", &test, ${c.rows}, ${c.cols}, ${k});`,
  );
  L.push(
    `  if (batch > train.count) { fprintf(stderr, "--batch %ld is larger than the %ld training images\\n", batch, train.count); return 2; }`,
  );
  L.push(
    `  images = alloc((size_t)batch * ${px} * sizeof(float)); labels = alloc((size_t)batch * ${k} * sizeof(float)); logits = alloc((size_t)batch * ${k} * sizeof(float));`,
  );
  L.push(`  perm = alloc((size_t)train.count * sizeof(u32));`);
  L.push(`  scratch = alloc(${name}_scratch_bytes(batch));`);
  params.forEach((x, n) => {
    L.push(`  P[${n}].name = ${cString(x.p.name)}; P[${n}].count = ${x.count}; P[${n}].fan = ${x.fan};`);
  });
  L.push(`  for (q = 0; q < ${params.length}; q++) {`);
  L.push(`    size_t bytes = P[q].count * sizeof(float);`);
  L.push(`    P[q].value = alloc(bytes); P[q].next = alloc(bytes); P[q].grad = alloc(bytes);`);
  L.push(
    `    P[q].state[0] = alloc(bytes); P[q].state[1] = alloc(bytes); P[q].state1[0] = alloc(bytes); P[q].state1[1] = alloc(bytes);`,
  );
  L.push(`    init_param(&P[q], seed);`, `  }`);
  return L;
}

/** The epochs: shuffle, then per batch feed, call the step, check the loss and swap each param with its next value. */
function trainLoop(
  name: string,
  c: ModelContract,
  f: (n: string) => string,
  params: DriverParam[],
  bind: string[],
): string[] {
  const k = c.classes,
    px = c.rows * c.cols;
  const L: string[] = [];
  L.push(`  for (e = 1; e <= epochs; e++) {`);
  L.push(`    long steps = (train.count + batch - 1) / batch, seen = 0;`, `    double esum = 0;`);
  L.push(`    for (i = 0; i < train.count; i++) perm[i] = (u32)i;`);
  L.push(
    `    { char purpose[64]; snprintf(purpose, sizeof purpose, "%lu:shuffle:%ld", (unsigned long)seed, e); st = hash32(purpose); }`,
  );
  L.push(
    `    for (i = train.count - 1; i > 0; i--) { u32 jj = below(&st, (u32)(i + 1)), t = perm[i]; perm[i] = perm[jj]; perm[jj] = t; }`,
  );
  L.push(`    for (s = 0; s < steps; s++) {`);
  L.push(`      long start = s * batch, n = train.count - start < batch ? train.count - start : batch;`);
  L.push(`      memset(labels, 0, (size_t)n * ${k} * sizeof(float));`);
  L.push(`      for (i = 0; i < n; i++) {`, `        long id = (long)perm[start + i];`);
  L.push(
    `        memcpy(images + i * ${px}, train.images + id * ${px}, ${px} * sizeof(float));`,
    `        labels[i * ${k} + train.labels[id]] = 1;`,
    `      }`,
  );
  L.push(`      scale[0] = 1.0f / (float)n; step[0] = (float)++global;`);
  L.push(...bind.map((l) => `  ${l}`), `      a.${f(c.batchSize)} = n;`);
  L.push(`      ${name}(&a, scratch);`);
  L.push(
    `      if (isnan(loss[0]) || isinf(loss[0])) { fprintf(stderr, "the loss became %g at step %ld; try a smaller --lr\\n", (double)loss[0], global); return 1; }`,
  );
  L.push(`      esum += (double)loss[0] * (double)n; seen += n;`);
  L.push(`      for (q = 0; q < ${params.length}; q++) {`);
  L.push(`        swap = P[q].value; P[q].value = P[q].next; P[q].next = swap;`);
  L.push(
    `        for (j = 0; j < 2; j++) { swap = P[q].state[j]; P[q].state[j] = P[q].state1[j]; P[q].state1[j] = swap; }`,
    `      }`,
  );
  L.push(`    }`);
  L.push(
    `    printf("epoch %ld/%ld: train loss %.4f\\n", e, epochs, esum / (double)seen);`,
    `    fflush(stdout);`,
    `  }`,
  );
  return L;
}

/** Evaluation with the step: Logits of the current params; what it writes elsewhere is dropped. Then the weights are written. */
function evaluation(name: string, c: ModelContract, f: (n: string) => string, bind: string[]): string[] {
  const k = c.classes,
    px = c.rows * c.cols;
  const L: string[] = [];
  L.push(`  for (s = 0; s < test.count; s += batch) {`);
  L.push(`    long n = test.count - s < batch ? test.count - s : batch;`);
  L.push(`    memset(labels, 0, (size_t)n * ${k} * sizeof(float));`);
  L.push(`    memcpy(images, test.images + s * ${px}, (size_t)n * ${px} * sizeof(float));`);
  L.push(`    for (i = 0; i < n; i++) labels[i * ${k} + test.labels[s + i]] = 1;`);
  L.push(`    scale[0] = 1.0f / (float)n; step[0] = 1;`);
  L.push(...bind, `    a.${f(c.batchSize)} = n;`);
  L.push(`    ${name}(&a, scratch);`, `    lsum += (double)loss[0] * (double)n;`);
  L.push(`    for (i = 0; i < n; i++) {`, `      long best = 0;`);
  L.push(`      for (j = 1; j < ${k}; j++) if (logits[i * ${k} + j] > logits[i * ${k} + best]) best = j;`);
  L.push(`      if (best == test.labels[s + i]) correct++;`, `    }`, `  }`);
  L.push(`  if (!write_safetensors(out, P)) { perror(out); return 1; }`);
  L.push(`  printf("test loss %.4f; weights written to %s\\n", lsum / (double)test.count, out);`);
  L.push(`  printf("test_accuracy=%.4f\\n", (double)correct / (double)test.count);`);
  L.push(`  return 0;`, `}`, "");
  return L;
}

const RNG = [
  `/* mulberry32 and the seed hash of src/train/init.ts, bit for bit (32-bit unsigned arithmetic). */`,
  `static u32 mulberry32(u32 *state) {`,
  `  u32 t;`,
  `  *state = (*state + 0x6d2b79f5u) & 0xffffffffu;`,
  `  t = *state;`,
  `  t = (t ^ (t >> 15)) * (t | 1u);`,
  `  t ^= t + (t ^ (t >> 7)) * (t | 61u);`,
  `  return (t ^ (t >> 14)) & 0xffffffffu;`,
  `}`,
  `/* FNV-1a over the bytes (the names are ASCII, so the UTF-16 units of init.ts), then murmur3's fmix32. */`,
  `static u32 hash32(const char *text) {`,
  `  u32 h = 0x811c9dc5u;`,
  `  for (; *text; text++) h = (h ^ (u32)(unsigned char)*text) * 0x01000193u;`,
  `  h ^= h >> 16; h *= 0x85ebca6bu; h ^= h >> 13; h *= 0xc2b2ae35u; h ^= h >> 16;`,
  `  return h & 0xffffffffu;`,
  `}`,
  `/* A uniform integer in [0, n) without modulo bias. */`,
  `static u32 below(u32 *state, u32 n) {`,
  `  unsigned long long limit = 4294967296ull / n * n;`,
  `  for (;;) { u32 r = mulberry32(state); if ((unsigned long long)r < limit) return r % n; }`,
  `}`,
];

const IDX = [
  `/* An MNIST-layout split: images scaled to [0, 1] as float (pixel / 255 in double), labels. */`,
  `typedef struct { long count; float *images; unsigned char *labels; } idx_set;`,
  `static unsigned char *read_file(const char *path, long *size) {`,
  `  FILE *f = fopen(path, "rb");`,
  `  unsigned char *buf;`,
  `  if (!f) { perror(path); exit(1); }`,
  `  if (fseek(f, 0, SEEK_END) != 0 || (*size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) { perror(path); exit(1); }`,
  `  buf = alloc((size_t)*size);`,
  `  if (fread(buf, 1, (size_t)*size, f) != (size_t)*size) { perror(path); exit(1); }`,
  `  fclose(f);`,
  `  return buf;`,
  `}`,
  `static long be32(const unsigned char *p) { return (long)(((unsigned long)p[0] << 24) | ((unsigned long)p[1] << 16) | ((unsigned long)p[2] << 8) | p[3]); }`,
  `static void load_set(const char *dir, const char *split, idx_set *out, long rows, long cols, long classes) {`,
  `  char path[4096];`,
  `  long isize, lsize, i, n;`,
  `  unsigned char *im, *lb;`,
  `  sprintf(path, "%.4000s/%s-images-idx3-ubyte", dir, split);`,
  `  im = read_file(path, &isize);`,
  `  if (isize < 16 || be32(im) != 0x803 || be32(im + 8) != rows || be32(im + 12) != cols || isize != 16 + be32(im + 4) * rows * cols) {`,
  `    fprintf(stderr, "%s: not an IDX file of %ldx%ld ubyte images (gzip-compressed? unpack it first)\\n", path, rows, cols); exit(1);`,
  `  }`,
  `  n = be32(im + 4);`,
  `  sprintf(path, "%.4000s/%s-labels-idx1-ubyte", dir, split);`,
  `  lb = read_file(path, &lsize);`,
  `  if (lsize < 8 || be32(lb) != 0x801 || be32(lb + 4) != n || lsize != 8 + n) { fprintf(stderr, "%s: not an IDX file of %ld ubyte labels\\n", path, n); exit(1); }`,
  `  for (i = 0; i < n; i++) if (lb[8 + i] >= classes) { fprintf(stderr, "%s: label %d at index %ld is not below %ld\\n", path, lb[8 + i], i, classes); exit(1); }`,
  `  out->count = n;`,
  `  out->images = alloc((size_t)(n * rows * cols) * sizeof(float));`,
  `  for (i = 0; i < n * rows * cols; i++) out->images[i] = (float)(im[16 + i] / 255.0);`,
  `  out->labels = alloc((size_t)n);`,
  `  memcpy(out->labels, lb + 8, (size_t)n);`,
  `  free(im); free(lb);`,
  `}`,
];

/** The safetensors writer: params in byte order of their names, F32 little-endian, no gaps. */
function SAFETENSORS(order: number[], tensors: { name: string; shape: number[] }[]): string[] {
  let off = 0;
  const fields = tensors.map((t) => {
    const bytes = t.shape.reduce((a, d) => a * d, 1) * 4;
    const s = `${JSON.stringify(t.name)}:{"dtype":"F32","shape":[${t.shape.join(",")}],"data_offsets":[${off},${off + bytes}]}`;
    off += bytes;
    return s;
  });
  let json = `{"__metadata__":{"format":"lift"},${fields.join(",")}}`;
  json += " ".repeat((8 - (json.length % 8)) % 8);
  return [
    `static int write_safetensors(const char *path, const param *P) {`,
    `  static const char header[] = ${cString(json)};`,
    `  static const int order[${order.length}] = { ${order.join(", ")} };`,
    `  unsigned char len[8];`,
    `  size_t n = sizeof header - 1, i, q;`,
    `  FILE *f = fopen(path, "wb");`,
    `  if (!f) return 0;`,
    `  for (i = 0; i < 8; i++) len[i] = (unsigned char)((unsigned long long)n >> (8 * i));`,
    `  fwrite(len, 1, 8, f);`,
    `  fwrite(header, 1, n, f);`,
    `  for (q = 0; q < ${order.length}; q++) {`,
    `    const param *p = &P[order[q]];`,
    `    for (i = 0; i < p->count; i++) {`,
    `      unsigned char b[4];`,
    `      u32 u;`,
    `      memcpy(&u, &p->value[i], 4);`,
    `      b[0] = (unsigned char)u; b[1] = (unsigned char)(u >> 8); b[2] = (unsigned char)(u >> 16); b[3] = (unsigned char)(u >> 24);`,
    `      fwrite(b, 1, 4, f);`,
    `    }`,
    `  }`,
    `  return fclose(f) == 0;`,
    `}`,
  ];
}
