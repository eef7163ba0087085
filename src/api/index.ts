export { load, LiftProgram, type SourceText } from "./program.js";
export type { InputValue, Nested } from "./inputs.js";
export { LiftError } from "../lang/diagnostics.js";
export type { DType, Tensor, EvalStats } from "../interp/eval.js";
