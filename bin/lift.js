#!/usr/bin/env node
import { main } from "../dist/src/cli/main.js";
// `lift … | head` closes the pipe early: that is the reader's choice, not an error.
for (const s of [process.stdout, process.stderr]) s.on("error", (e) => { if (e.code === "EPIPE") process.exit(0); else throw e; });
process.exitCode = await main(process.argv.slice(2));
