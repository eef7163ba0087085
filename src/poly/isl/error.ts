// Errors raised by the isl wrapper.

/** isl's enum isl_error, by value (the header test checks them). */
export const ERROR_CODES = [
  "none",
  "abort",
  "alloc",
  "unknown",
  "internal",
  "invalid",
  "quota",
  "unsupported",
] as const;

export type IslErrorCode = (typeof ERROR_CODES)[number];

export function errorCodeName(code: number): IslErrorCode {
  return ERROR_CODES[code] ?? "unknown";
}

/**
 * An isl function failed (returned NULL / -1). `code` is isl_ctx_last_error, `islMessage`
 * isl_ctx_last_error_msg, `file`/`line` where inside isl it was raised. A "quota" code means
 * the operation bound set with Ctx.setMaxOperations was hit.
 */
export class IslError extends Error {
  override readonly name = "IslError";
  constructor(
    /** The isl function that failed. */
    readonly fn: string,
    readonly code: IslErrorCode,
    readonly islMessage: string | null,
    readonly file: string | null,
    readonly line: number | null,
    /** Extra context added by the wrapper (e.g. the text that failed to parse). */
    readonly detail?: string,
  ) {
    const where = file ? ` (${file}:${line ?? "?"})` : "";
    const msg = islMessage ?? "failed without an isl error message";
    super(`${fn}: ${msg}${where}${detail ? `; ${detail}` : ""}`);
  }
}

/** Misuse of the wrapper itself: use after free, double free, wrong object type, wrong ctx. */
export class IslUsageError extends Error {
  override readonly name = "IslUsageError";
}
