import type { ParseArgsConfig } from "node:util";
import { checkCommand, gradCommand } from "./check.js";
import { compileCommand, emitCommand } from "./compile.js";
import { replCommand } from "./repl.js";
import { predictCommand } from "./predict.js";
import { runCommand } from "./run.js";
import { trainCommand } from "./train.js";
import { webCommand } from "./web.js";

export interface Command {
  summary: string;
  help: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  run: runCommand,
  check: checkCommand,
  grad: gradCommand,
  compile: compileCommand,
  emit: emitCommand,
  repl: replCommand,
  train: trainCommand,
  predict: predictCommand,
  web: webCommand,
};
