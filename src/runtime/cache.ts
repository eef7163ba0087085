/**
 * The compile cache as a store: where it lives, how an entry is written (a private temporary
 * file, fsync, rename, fsync of the directory, so a crash never leaves a torn entry under its
 * real name) and what happens when it cannot be written. Entries are verified by their readers
 * (native.ts, unit_cache.ts) with the hash recorded here at write time.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, sep } from "node:path";
import { LiftError } from "../lang/diagnostics.js";

let fallback: string | undefined;

/** `LIFT_CACHE`, else `$XDG_CACHE_HOME/lift`, else `~/.cache/lift`; a private directory once that proved unwritable. */
export function cacheDir(): string {
  if (fallback) return fallback;
  if (process.env.LIFT_CACHE) return process.env.LIFT_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "lift");
}

const warned = new Set<string>();
/** One line on stderr, once per process per text: the cache never floods a run with warnings. */
export function warn(text: string): void {
  if (warned.has(text)) return;
  warned.add(text);
  process.stderr.write(`warning: ${text}\n`);
}

export const sha256 = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** Errors that mean "this directory cannot hold the cache", as opposed to a transient race. */
const UNWRITABLE = new Set(["EACCES", "EPERM", "EROFS", "ENOTDIR", "EEXIST", "ENOENT", "EISDIR"]);

/**
 * Writes `files` (name → content) into the cache directory `rel` atomically, one file at a time
 * in the given order (so a reader that checks the last one sees the others complete). A
 * directory deleted meanwhile is recreated once; a cache that cannot be written is replaced by a
 * private temporary directory for the rest of the process, with one warning; a full disk is a
 * clear error. Returns the directory the files are in.
 */
export function storeFiles(rel: string, files: [string, string | Uint8Array][]): string {
  for (let attempt = 0; ; attempt++) {
    const dir = join(cacheDir(), rel);
    try {
      mkdirSync(dir, { recursive: true });
      for (const [name, content] of files) atomicWrite(dir, name, content);
      return dir;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "";
      if (code === "ENOSPC" || code === "EDQUOT")
        throw new LiftError(
          `no space left on the device holding the compile cache (${cacheDir()})`,
          undefined,
          "free some space, or point LIFT_CACHE at a directory on another disk",
        );
      if (!UNWRITABLE.has(code)) throw e;
      if (code === "ENOENT" && attempt === 0) continue; // the cache was deleted while we wrote: once more
      if (fallback) throw e;
      const was = cacheDir();
      const why = code === "ENOENT" ? cause(dir) : code;
      fallback = mkdtempSync(join(tmpdir(), "lift-cache-"));
      process.on("exit", () => rmSync(fallback!, { recursive: true, force: true }));
      warn(`the compile cache ${was} cannot be written (${why}); using a private temporary directory for this run`);
    }
  }
}

/**
 * Why a directory cannot be created when a recursive mkdir only says ENOENT (it does so on a
 * read-only file system): the error of creating the first missing part by itself.
 */
function cause(dir: string): string {
  let parent = dir;
  while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
  if (parent === dir) return "ENOENT";
  const child = dir.slice(parent.length).split(sep).find(Boolean) ?? "";
  try {
    mkdirSync(join(parent, child));
    rmSync(join(parent, child), { recursive: true, force: true });
    return "ENOENT";
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? "ENOENT";
  }
}

function atomicWrite(dir: string, name: string, content: string | Uint8Array): void {
  const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString("hex")}`);
  const fd = openSync(tmp, "wx", 0o644);
  try {
    const buf = typeof content === "string" ? Buffer.from(content) : content;
    for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, join(dir, name));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  // The rename itself is durable only once the directory is.
  try {
    const d = openSync(dir, "r");
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    /* not every file system syncs directories */
  }
}
