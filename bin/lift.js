#!/usr/bin/env node
// `lift … | head` closes the pipe early: that is the reader's choice, not an error.
for (const s of [process.stdout, process.stderr]) s.on("error", (e) => { if (e.code === "EPIPE") process.exit(0); else throw e; });
let guard;
try {
  const { main, internalError } = await import("../dist/src/cli/main.js");
  guard = internalError;
  process.on("uncaughtException", (e) => { process.exitCode = internalError(e); process.exit(); });
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  // Only reached when LiFT itself failed to load (main() turns every exception into an exit code).
  if (guard) process.exitCode = guard(e);
  else { process.stderr.write(`internal error: LiFT could not start: ${e?.message ?? e}\n  run \`npx tsc -p .\` to build it, or report this\n`); process.exitCode = 70; }
}
