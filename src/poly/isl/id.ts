// isl_id: names of tuples, parameters, marks and AST annotations, with an optional user pointer.

import { IslObject, registerKind } from "./core.js";

export class Id extends IslObject {
  static readonly islType = "isl_id";
  static {
    registerKind(this);
  }

  /** The name, or null for an anonymous id. */
  name(): string | null {
    return this.ctx.cstr("isl_id_get_name", this);
  }

  /** The user pointer as an integer key, or null. We never store real pointers there. */
  user(): bigint | null {
    const u = this.ctx.invoke("isl_id_get_user", [this]) as bigint | null;
    return u === null || u === 0n ? null : u;
  }
}
