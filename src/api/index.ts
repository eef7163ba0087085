export { load, compile, LiftProgram, type SourceText, type Backend, type BackendOptions } from "./program.js";
export type { WasmModule } from "../runtime/wasm.js";
export type { CompileOptions } from "../poly/compile.js";
export type { NativeModule } from "../runtime/module.js";
export type { InputValue, Nested } from "./inputs.js";
export { LiftError } from "../lang/diagnostics.js";
export type { DType, Tensor, EvalStats } from "../interp/eval.js";
