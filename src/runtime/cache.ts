/** Where compiled libraries live: a content-addressed cache directory. */
import { homedir } from "node:os";
import { join } from "node:path";

/** `LIFT_CACHE`, else `$XDG_CACHE_HOME/lift`, else `~/.cache/lift`. */
export function cacheDir(): string {
  if (process.env.LIFT_CACHE) return process.env.LIFT_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "lift");
}
