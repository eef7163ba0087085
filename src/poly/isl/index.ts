// Public entry of the isl binding (isl 0.25 through koffi; no headers needed at run time).
//
//   const text = withCtx((ctx) => {
//     const dom = ctx.unionSet("[N] -> { S0[i] : 0 <= i < N; S1[i] : 0 <= i < N }");
//     const dep = ctx.unionMap("[N] -> { S0[i] -> S1[i] }");
//     const sc = ScheduleConstraints.onDomain(dom).setValidity(dep);
//     const build = AstBuild.fromContext(ctx.set("[N] -> { : }"));
//     return build.nodeFromSchedule(sc.computeSchedule()).toData(); // plain JS: for / if / block / mark / user
//   });                                                              // every isl object is freed here
//
// Ownership: each wrapper owns one isl reference; operations return new objects and leave their
// operands usable; free() what you no longer need, or let ctx.free() / withCtx do it.
// Errors: IslError (isl failed, with isl's message), IslUsageError (use after free, wrong type, wrong ctx).
// The isl functions behind the wrappers are listed, with their ownership, in decls.ts.

export { Ctx, withCtx } from "./ctx.js";
export { IslObject, type CtxOptions } from "./core.js";
export { IslError, IslUsageError, type IslErrorCode } from "./error.js";
export { IslSet } from "./set.js";
export { IslMap } from "./map.js";
export { UnionSet } from "./union_set.js";
export { UnionMap } from "./union_map.js";
export { Space, type DimType } from "./space.js";
export { Id } from "./id.js";
export { PwMultiAff } from "./affine.js";
export { ScheduleConstraints, Schedule } from "./schedule.js";
export { AstBuild, AstNode, AstExpr } from "./ast.js";
export type { AstNodeData, AstExprData, AstOpType, BeforeEachFor, NodeHook } from "./ast.js";
export type { IslOptions } from "./options.js";
