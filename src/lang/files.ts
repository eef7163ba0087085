/** Reading a text file named by the user (a model, an inputs file): a failure is a LiftError naming the path. */
import { readFileSync } from "node:fs";
import { LiftError } from "./diagnostics.js";

export function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LiftError(
      code === "ENOENT"
        ? `${path}: no such file`
        : code === "EISDIR"
          ? `${path}: is a directory`
          : `${path}: cannot read (${code ?? String(e)})`,
    );
  }
}
