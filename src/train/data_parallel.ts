// Data-parallel training steps over MPI (docs/training.md, "Data-parallel training"). Every rank
// holds the same params and optimizer state. A step on a global batch of n images:
//   1. rank r takes its slice of the batch (sizes differ by at most one; a rank may get none),
//      and the gradient program computes Loss_r = Scale · Σ_{i in slice r} xent_i and its
//      gradients, with Scale = 1/n on every rank;
//   2. one in-place MPI_Allreduce sums, in a single contiguous float32 buffer, every param's
//      gradient, the loss and the count of correct predictions: since the loss is a sum over
//      images, Σ_r ∂Loss_r/∂P = ∂Loss/∂P of the whole batch, the single-process gradient;
//   3. every rank runs the same update program on the same summed gradients, so the replicas
//      stay equal (checked once an epoch by `checkReplicas`).
// The same buffer carries the ranks' stop requests (SIGINT/SIGTERM): after the all-reduce every
// rank knows whether any rank asked to stop, so all of them stop after the same step.

import { LiftError } from "../lang/diagnostics.js";
import type { NativeModule } from "../runtime/module.js";
import { countCorrect } from "./metrics.js";
import type { MnistSplit } from "./mnist.js";
import { namesFor, type ModelContract, type OptimizerName } from "./program.js";
import type { CompiledSplit } from "./split_step.js";
import type { World } from "../dist/mpi.js";
import { Watchdog } from "../dist/watchdog.js";

/** Rank r's part of n images among `size` ranks: [offset, offset + count). */
export function sliceOf(n: number, rank: number, size: number): { offset: number; count: number } {
  const base = Math.floor(n / size);
  const extra = n % size;
  return { offset: rank * base + Math.min(rank, extra), count: base + (rank < extra ? 1 : 0) };
}

/** Seconds a rank waits in one collective before giving up on the job (LIFT_MPI_TIMEOUT). */
export function collectiveTimeout(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.LIFT_MPI_TIMEOUT;
  if (v === undefined || v === "") return 300;
  const t = Number(v);
  if (!(t > 0 && Number.isFinite(t)))
    throw new LiftError(`LIFT_MPI_TIMEOUT must be a positive number of seconds, not \`${v}\``);
  return t;
}

/** Stop reasons sent as numbers in the all-reduce: 0 none, i + 1 for STOP_REASONS[i], and one more for any other. */
const STOP_REASONS = ["SIGINT", "SIGTERM"];
const stopCode = (reason: string | null) =>
  reason === null ? 0 : STOP_REASONS.indexOf(reason) + 1 || STOP_REASONS.length + 1;

/**
 * What a rank stops for, given its own request, rank 0's reason code and how many ranks asked:
 * its own reason, else rank 0's, else another rank's (null when none asked).
 */
export function agreedStop(own: string | null, rootCode: number, asking: number): string | null {
  if (asking === 0) return null;
  if (own !== null) return own;
  if (rootCode > 0) return STOP_REASONS[rootCode - 1] ?? "stop on rank 0";
  return "a signal to another rank";
}

/** The sums after the gradients: the loss, the correct count, rank 0's stop code, the ranks asking to stop. */
const TAIL = 4;

export interface DataParallelOptions {
  world: World;
  contract: ModelContract;
  optimizer: OptimizerName;
  /** the compiled gradient and update programs (split_step.ts) */
  compiled: CompiledSplit;
  /** the global batch */
  batch: number;
  lr: number;
  /** params and optimizer state to start from, by name (taken over, not copied) */
  values: Record<string, Float32Array>;
  train: MnistSplit;
}

export class DataParallelStep {
  /** seconds inside MPI_Allreduce (waiting for the slowest rank included) and steps taken */
  reduceSeconds = 0;
  steps = 0;
  private readonly grad: NativeModule;
  private readonly update: NativeModule;
  private readonly bufs: Record<string, Float32Array> = {};
  /** every P.grad back to back, then the TAIL: loss, correct count, stop requests */
  private readonly reduced: Float32Array;
  private readonly swaps: [string, string][] = [];
  private readonly stateNames: string[];
  private readonly watchdog: Watchdog;

  constructor(private readonly o: DataParallelOptions) {
    const { contract: c, optimizer, world } = o;
    this.grad = o.compiled.gradient;
    this.update = o.compiled.update;
    this.reduced = new Float32Array(c.params.reduce((a, p) => a + o.values[p.name]!.length, 0) + TAIL);
    this.allocate();
    this.stateNames = c.params.flatMap((p) => [p.name, ...namesFor(p.name, optimizer).state]);
    const timeout = collectiveTimeout();
    this.watchdog = new Watchdog(
      timeout,
      `lift: rank ${world.rank} of ${world.size}: no answer from the other ranks for ${timeout} s inside MPI ` +
        "(a rank died, hangs or is stopped); ending this rank so that the launcher ends the job (LIFT_MPI_TIMEOUT sets the wait)\n",
    );
  }

  /** Every buffer both programs read or write, once: a rank's slice is at most ⌈batch/P⌉ images. */
  private allocate(): void {
    const { contract: c, optimizer, world, values } = this.o;
    const local = Math.ceil(this.o.batch / world.size);
    Object.assign(this.bufs, {
      Images: new Float32Array(local * c.rows * c.cols),
      Labels: new Float32Array(local * c.classes),
      Logits: new Float32Array(local * c.classes),
      Scale: new Float32Array(1),
      Loss: new Float32Array(1),
      Lr: Float32Array.of(this.o.lr),
      Step: new Float32Array(1),
    });
    let at = 0;
    for (const p of c.params) {
      const nm = namesFor(p.name, optimizer);
      const len = values[p.name]!.length;
      this.bufs[p.name] = values[p.name]!;
      this.bufs[nm.grad] = this.reduced.subarray(at, at + len); // written by one program, read by the other
      this.bufs[nm.next] = new Float32Array(len);
      this.swaps.push([p.name, nm.next]);
      nm.state.forEach((s, i) => {
        this.bufs[s] = values[s]!;
        this.bufs[nm.stateNext[i]!] = new Float32Array(len);
        this.swaps.push([s, nm.stateNext[i]!]);
      });
      at += len;
    }
  }

  /**
   * One step on the global batch perm[start, start + n): returns the loss of the whole batch,
   * how many of its images were classified correctly (before the update), and whether to stop
   * after it (`stop`: this rank's request, or null; the answer is the same on every rank).
   */
  step(
    perm: ArrayLike<number>,
    start: number,
    n: number,
    globalStep: number,
    stop: string | null = null,
  ): { loss: number; correct: number; stop: string | null } {
    const { world } = this.o;
    const { offset, count } = sliceOf(n, world.rank, world.size);
    const total = this.reduced.length - TAIL;
    if (count === 0) {
      this.reduced.fill(0); // no images here: this rank adds nothing to the sums
    } else {
      const correct = this.gradients(perm, start + offset, count, n);
      this.reduced[total] = this.bufs.Loss![0]!;
      this.reduced[total + 1] = correct;
    }
    this.reduced[total + 2] = world.isRoot ? stopCode(stop) : 0;
    this.reduced[total + 3] = stop === null ? 0 : 1;
    const t0 = performance.now();
    this.watchdog.guard(() => world.allreduce(this.reduced, "sum"));
    this.reduceSeconds += (performance.now() - t0) / 1000;
    this.steps++;
    this.bufs.Step![0] = globalStep;
    this.update.call(this.bufs);
    for (const [a, b] of this.swaps) [this.bufs[a], this.bufs[b]] = [this.bufs[b]!, this.bufs[a]!];
    const t = this.reduced;
    return { loss: t[total]!, correct: t[total + 1]!, stop: agreedStop(stop, t[total + 2]!, t[total + 3]!) };
  }

  /** Whether to stop, agreed between steps (a collective: every rank calls it at the same point). */
  agree(stop: string | null): string | null {
    const flags = Float32Array.of(this.o.world.isRoot ? stopCode(stop) : 0, stop === null ? 0 : 1);
    this.watchdog.guard(() => this.o.world.allreduce(flags, "sum"));
    return agreedStop(stop, flags[0]!, flags[1]!);
  }

  /** The params and optimizer state now, by name (the live buffers). */
  values(): Record<string, Float32Array> {
    return Object.fromEntries(this.stateNames.map((n) => [n, this.bufs[n]!]));
  }

  params(): Record<string, Float32Array> {
    return Object.fromEntries(this.o.contract.params.map((p) => [p.name, this.bufs[p.name]!]));
  }

  /**
   * Fails on every rank if the replicas' params and state are not bit-identical (a collective:
   * every rank calls it at the same point). They cannot differ unless MPI_Allreduce gave ranks
   * different sums, which MPI recommends against but does not forbid.
   */
  checkReplicas(epoch: number): void {
    let h = 0x811c9dc5;
    for (const name of this.stateNames) {
      const a = this.bufs[name]!;
      const words = new Uint32Array(a.buffer, a.byteOffset, a.length);
      for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193) >>> 0;
    }
    const range = Float64Array.of(h, -h);
    this.watchdog.guard(() => this.o.world.allreduce(range, "max"));
    if (range[0] !== -range[1]!) {
      throw new LiftError(
        `the ranks' weights differ after epoch ${epoch} (hashes ${-range[1]!} … ${range[0]}): MPI_Allreduce gave ranks different sums`,
      );
    }
  }

  /** Feeds `count` images from perm[from…] and runs the gradient program; returns the correct count. */
  private gradients(perm: ArrayLike<number>, from: number, count: number, n: number): number {
    const { contract: c, train } = this.o;
    const px = c.rows * c.cols;
    const k = c.classes;
    const full = this.bufs;
    const images = full.Images!.subarray(0, count * px);
    const labels = full.Labels!.subarray(0, count * k);
    const logits = full.Logits!.subarray(0, count * k);
    labels.fill(0);
    for (let i = 0; i < count; i++) {
      const idx = perm[from + i]!;
      images.set(train.images.subarray(idx * px, (idx + 1) * px), i * px);
      labels[i * k + train.labels[idx]!] = 1;
    }
    full.Scale![0] = 1 / n;
    this.grad.call({ ...full, Images: images, Labels: labels, Logits: logits }, { [c.batchSize]: count });
    return countCorrect(logits, labels, count, k);
  }

  async close(): Promise<void> {
    await this.watchdog.stop();
  }
}
