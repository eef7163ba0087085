export { load, compile, LiftProgram, type SourceText } from "./program.js";
export type { CompileOptions } from "../poly/compile.js";
export type { NativeModule } from "../runtime/module.js";
export type { InputValue, Nested } from "./inputs.js";
export { LiftError } from "../lang/diagnostics.js";
export type { DType, Tensor, EvalStats } from "../interp/eval.js";
export { LiftModule, Residuals, type ModuleOptions } from "./module.js";
export type { ExternImpl, ExternImpls, ExternCall } from "../core/externs.js";
