// Public entry of the isl binding. See ctx.ts (Ctx, withCtx) to start.

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
