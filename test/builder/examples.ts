/**
 * The programs of examples/*.lift written with the TypeScript builder, statement for statement
 * (declarations in the same order, so node ids agree); the nn verbs the LeNet uses are TS functions.
 */
import {
  add,
  Builder,
  div,
  duplicate,
  exp,
  log,
  max,
  mul,
  oblique,
  pow,
  reduce,
  stride,
  sub,
  trim,
} from "../../src/builder/index.js";

export function matmul(): Builder {
  const b = new Builder();
  const A = b.input("A", 3, 4),
    B = b.input("B", 4, 2);
  b.output("C", 3, 2);
  b.let("C", reduce(1, "+").rank(2)(mul.rank(1, 2)(A, B)));
  return b;
}

export function backprop(): Builder {
  const b = new Builder();
  const Input = b.input("Input", 2),
    W1 = b.input("W1", 2, 2),
    B1 = b.input("B1"),
    W2 = b.input("W2", 2, 2),
    B2 = b.input("B2"),
    Target = b.input("Target", 2);
  const sigmoid = b.monad("sigmoid", 0, (y) => div(1, add(exp(sub(0, y)), 1)));
  const dot = b.dyad("dot", 1, 1, (x, y) => reduce(1, "+")(mul(x, y)));
  const Hidden = b.let("Hidden", sigmoid(add(dot(W1, Input), B1)));
  const Output = b.let("Output", sigmoid(add(dot(W2, Hidden), B2)));
  const Loss = b.let("Loss", reduce(1, "+")(mul(0.5, pow(sub(Target, Output), 2))));
  const dW1 = b.grad("dW1", Loss, W1),
    dW2 = b.grad("dW2", Loss, W2);
  b.let("nW1", sub(W1, mul(0.5, dW1)));
  b.let("nW2", sub(W2, mul(0.5, dW2)));
  b.output("Output", 2);
  b.output("Loss");
  b.output("nW1", 2, 2);
  b.output("nW2", 2, 2);
  return b;
}

export function conv(): Builder {
  const b = new Builder();
  const Image = b.input("Image", 6, 6),
    K = b.input("K", 2, 3, 3),
    Bias = b.input("Bias", 2);
  const relu = b.monad("relu", 0, (y) => max(0, y));
  const Conv = b.let(
    "Conv",
    add(trim(1, 1).rank(2)(oblique(2, "+").rank(4)(mul.rank(2, 0).rank(2, 2)(K, Image))), Bias),
  );
  b.let("Pool", stride(2, 2).rank(2)(trim(1, 1).rank(2)(oblique(2, max).rank(4)(duplicate(2, 2).rank(0)(relu(Conv))))));
  b.output("Conv", 2, 6, 6);
  b.output("Pool", 2, 3, 3);
  return b;
}

/** examples/fashion-lenet.lift, with the prelude's nn verbs it uses written as TS functions. */
export function lenet(): Builder {
  const b = new Builder();
  const Images = b.input("Images", "N", 28, 28),
    Labels = b.input("Labels", "N", 10),
    Scale = b.input("Scale");
  const K1 = b.param("K1", 8, 5, 5),
    B1 = b.param("B1", 8),
    K2 = b.param("K2", 16, 8, 5, 5),
    B2 = b.param("B2", 16);
  const W = b.param("W", 10, 16, 7, 7),
    B = b.param("B", 10);

  const relu = b.monad("relu", 0, (y) => max(0, y));
  const conv5 = b.dyad("conv5", 2, 2, (x, y) =>
    trim(2, 2).rank(2)(oblique(2, "+").rank(4)(mul.rank(2, 0).rank(2, 2)(x, y))),
  );
  const cconv5 = b.dyad("cconv5", 3, 3, (x, y) => reduce(1, "+")(conv5.rank(2, 2)(x, y)));
  const maxpool2 = b.monad("maxpool2", 2, (y) =>
    stride(2, 2).rank(2)(trim(1, 1).rank(2)(oblique(2, ">.").rank(4)(duplicate(2, 2).rank(0)(y)))),
  );
  const dot3 = b.dyad("dot3", 3, 3, (x, y) => reduce(3, "+")(mul(x, y)));
  const shifted = (y: Parameters<typeof exp>[0]) => sub(y, reduce(1, ">.")(y));
  const logsoftmax = b.monad("logsoftmax", 1, (y) => sub(shifted(y), log(reduce(1, "+")(exp(shifted(y))))));
  const xent = b.dyad("xent", 1, 1, (x, y) => sub(0, reduce(1, "+")(mul(x, logsoftmax(y)))));

  const conv1 = b.monad("conv1", 2, (y) => relu(add(conv5.rank(2, 2)(K1, y), B1)));
  const conv2 = b.monad("conv2", 3, (y) => relu(add(cconv5.rank(3, 3)(K2, y), B2)));
  const fc = b.monad("fc", 3, (y) => add(dot3.rank(3, 3)(W, y), B));

  const H1 = b.let("H1", conv1(Images));
  const P1 = b.let("P1", maxpool2(H1));
  const H2 = b.let("H2", conv2(P1));
  const P2 = b.let("P2", maxpool2(H2));
  const Logits = b.let("Logits", fc(P2));
  b.let("Loss", mul(Scale, reduce(1, "+")(xent(Labels, Logits))));
  b.output("Logits", "N", 10);
  b.output("Loss");
  return b;
}
