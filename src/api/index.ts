export { load, compile, LiftProgram, type SourceText, type Backend, type BackendOptions } from "./program.js";
export type { WasmModule } from "../runtime/wasm.js";
export type { CompileOptions } from "../compiler/compile.js";
export type { NativeModule } from "../runtime/module.js";
export type { InputValue, Nested } from "../core/inputs.js";
export { LiftError } from "../lang/diagnostics.js";
export type { DType, Tensor } from "../core/tensor.js";
export type { EvalStats } from "../interp/eval.js";
export { LiftModule, Residuals, type ModuleOptions } from "./module.js";
export type { ExternImpl, ExternImpls, ExternCall } from "../core/externs.js";
export {
  Builder,
  Arr,
  rank,
  add,
  sub,
  mul,
  div,
  pow,
  min,
  max,
  exp,
  log,
  sin,
  reduce,
  oblique,
  trim,
  stride,
  duplicate,
} from "../builder/index.js";
export type { Val, Dim, Rank, Monad, Dyad } from "../builder/index.js";
