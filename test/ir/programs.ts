/**
 * The programs every IR round-trip test runs on: the examples, every accepted reference vector,
 * the MNIST optimizer update (mnist.train), and seeded random programs. The MNIST model with its
 * gradients is left out for time (over 15 s through every pass on a busy machine); the examples'
 * fashion-lenet.lift is a convolutional net of the same kind.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load, type LiftProgram } from "../../src/api/index.js";
import { ACCEPT_VECTORS, runnableSource } from "../vectors/reference.js";
import { MNIST_TRAIN } from "../vectors/mnist.js";
import { randomProgram } from "../poly/random_programs.js";

export interface NamedProgram {
  name: string;
  program: () => LiftProgram;
}

const EXAMPLES = join(process.cwd(), "examples");

export function examplePrograms(): NamedProgram[] {
  const files = readdirSync(EXAMPLES)
    .filter((f) => f.endsWith(".lift"))
    .map((f) => join(EXAMPLES, f));
  files.push(join(EXAMPLES, "crf", "emissions.lift"));
  const out: NamedProgram[] = files.map((f) => ({
    name: f.slice(EXAMPLES.length + 1),
    program: () => load({ name: f, text: readFileSync(f, "utf8") }),
  }));
  out.push(
    ...ACCEPT_VECTORS.map((v) => ({
      name: v.id,
      program: () => load({ name: `${v.id}.lift`, text: runnableSource(v) }),
    })),
  );
  out.push({ name: "mnist.train", program: () => load({ name: "mnist.train", text: MNIST_TRAIN }) });
  return out;
}

/** `count` random programs (test/poly/random_programs.ts), one per seed from `seed`. */
export function randomPrograms(count: number, seed: number): NamedProgram[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `random ${seed + i}`,
    program: () => load(randomProgram(seed + i, `p${i}.`).source),
  }));
}
