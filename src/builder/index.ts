export { Builder, Arr, rank, add, sub, mul, div, pow, min, max, exp, log, sin, reduce, oblique, trim, stride, duplicate } from "./builder.js";
export type { Val, Dim, Rank, Monad, Dyad } from "./builder.js";
