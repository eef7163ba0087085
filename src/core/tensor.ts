/**
 * The value types every layer shares: an element type and a tensor (shape and row-major data).
 * They live in core so that codegen, poly and the runtime need not import the interpreter.
 */
export type DType = "f32" | "f64";
export type Arr = Float32Array | Float64Array;
export interface Tensor {
  shape: number[];
  data: Arr;
}
