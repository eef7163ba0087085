// isl_val (exact rational / integer values) and isl_multi_val (a tuple of them).

import { IslObject, registerKind } from "./core.js";
import { IslUsageError } from "./error.js";

export class Val extends IslObject {
  static readonly islType = "isl_val";
  static {
    registerKind(this);
  }

  isInt(): boolean {
    return this.test("isl_val_is_int");
  }

  /** The value as a JS integer. Throws if it is not an integer or not exactly representable. */
  toNumber(): number {
    const v = this.toBigInt();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new IslUsageError(`isl_val ${v} does not fit a JS number; use toBigInt()`);
    }
    return Number(v);
  }

  /** The value as a bigint (exact, any size). Throws if it is not an integer. */
  toBigInt(): bigint {
    if (!this.isInt()) throw new IslUsageError(`isl_val ${this.toString()} is not an integer`);
    return BigInt(this.toString());
  }
}

export class MultiVal extends IslObject {
  static readonly islType = "isl_multi_val";
  static {
    registerKind(this);
  }
}
