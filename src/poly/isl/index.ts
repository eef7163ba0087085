// Public entry of the isl binding (isl 0.25 through koffi; no headers needed at run time).
//
//   const text = withCtx((ctx) => {
//     const dom = ctx.unionSet("[N] -> { S0[i] : 0 <= i < N; S1[i] : 0 <= i < N }");
//     const dep = ctx.unionMap("[N] -> { S0[i] -> S1[i] }");
//     const sc = ScheduleConstraints.onDomain(dom).setValidity(dep);
//     const ast = ctx.buildAst(sc.computeSchedule({ scheduleOuterCoincidence: true }));
//     return ast.toData();          // plain JS: for / if / block / mark / user nodes
//   });                             // every isl object is freed here
//
// Ownership: each wrapper owns one isl reference; operations return new objects and leave
// their operands usable; free() what you no longer need, or let ctx.free() / withCtx do it.
// Errors: IslError (isl failed), IslUsageError (use after free, wrong type, wrong ctx).
// Time bound: scheduleWithTimeout runs the scheduler in a child process it can kill.

export { Ctx, withCtx } from "./ctx.js";
export { IslObject, type CtxOptions } from "./core.js";
export { IslError, IslUsageError, type IslErrorCode } from "./error.js";
export { IslSet, BasicSet } from "./set.js";
export { IslMap, BasicMap } from "./map.js";
export { UnionSet } from "./union_set.js";
export { UnionMap } from "./union_map.js";
export { Space, type DimType } from "./space.js";
export { Val, MultiVal } from "./val.js";
export { Id } from "./id.js";
export { Aff, PwAff, MultiAff, PwMultiAff, UnionPwMultiAff, MultiUnionPwAff } from "./affine.js";
export { ScheduleConstraints, Schedule, ScheduleNode, type ScheduleNodeType, type ScheduleTreeData } from "./schedule.js";
export { computeFlow, UnionAccessInfo, UnionFlow, type FlowInput, type FlowResult } from "./flow.js";
export {
  AstBuild,
  AstNode,
  AstNodeList,
  AstExpr,
  buildAst,
  type AstNodeData,
  type AstExprData,
  type AstOpType,
  type BuildAstOptions,
  type BeforeEachFor,
  type NodeHook,
} from "./ast.js";
export type { IslOptions } from "./options.js";
export { scheduleWithTimeout, scheduleInProcess, type ScheduleTimedOut } from "./schedule_child.js";
