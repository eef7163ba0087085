/** The `lift` command. Exit status: 0 success, 1 user error, 2 usage error, 70 internal error (a bug in LiFT). */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { dumpedPasses } from "../compiler/passes.js";
import { LiftError } from "../lang/diagnostics.js";
import { VERSION } from "../version.js";
import { joinNegativeValues } from "./args.js";
import { COMMANDS, type Command } from "./commands.js";

export class UsageError extends Error {}

const MAIN_HELP = `lift ${VERSION} — LiFT, array formulas with ranks, compiled

usage: lift <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`)
  .join("\n")}

Run \`lift <command> --help\` for the options of one command.`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(MAIN_HELP + "\n");
    return name ? 0 : 2;
  }
  if (name === "--version") {
    process.stdout.write(VERSION + "\n");
    return 0;
  }
  const cmd: Command | undefined = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`lift: unknown command \`${name}\`\n\n${MAIN_HELP}\n`);
    return 2;
  }
  try {
    dumpedPasses(process.env.LIFT_DUMP);
  } catch (e) {
    process.stderr.write(`lift: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: joinNegativeValues(rest, cmd.options),
        options: { ...cmd.options, help: { type: "boolean", short: "h" } },
        allowPositionals: true,
        strict: true,
      } as ParseArgsConfig);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (parsed.values.help) {
      process.stdout.write(cmd.help + "\n");
      return 0;
    }
    return await cmd.run(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`lift ${name}: ${e.message}\n\n${cmd.help}\n`);
      return 2;
    }
    if (e instanceof LiftError) {
      process.stderr.write(e.format() + "\n");
      return 1;
    }
    return internalError(e);
  }
}

/** EX_SOFTWARE: what an unexpected exception exits with. */
export const INTERNAL_EXIT = 70;

/**
 * The last guard: an exception no command turned into a LiftError is a bug in LiFT. It is one
 * line and a hint to report it; the stack only with LIFT_DEBUG=1.
 */
export function internalError(e: unknown): number {
  const text = e instanceof Error ? e.message : String(e);
  process.stderr.write(
    `internal error: ${text.split("\n")[0]}\n` +
      (process.env.LIFT_DEBUG
        ? `${e instanceof Error ? (e.stack ?? text) : text}\n`
        : "  this is a bug in LiFT: please report it with the command that caused it (LIFT_DEBUG=1 shows the details)\n"),
  );
  return INTERNAL_EXIT;
}
