/** Argument preprocessing shared by every command, before node:util's parseArgs sees them. */
import type { ParseArgsConfig } from "node:util";

/**
 * `--epochs -1` becomes `--epochs=-1` for an option that takes a value, so the value reaches the
 * command's own check ("--epochs needs a whole number ≥ 1, not `-1`") instead of parseArgs's
 * "argument is ambiguous". Only words that look like negative numbers are joined: `--out -x`
 * still reads as two options.
 */
export function joinNegativeValues(args: string[], options: NonNullable<ParseArgsConfig["options"]>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    const name = a.startsWith("--") && !a.includes("=") ? a.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === "string" && next !== undefined && /^-[0-9.]/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}
