// Crash-safe file replacement for checkpoints and data subsets.
//
// The target is only ever changed by rename(2), which POSIX makes atomic: a
// reader (or a process restarted after a crash) sees either the old complete
// file or the new complete file, never a prefix. A kill can at worst leave a
// temp file beside the target; its name marks it as such, readers never open
// it, and cleanStaleTemps (run after every successful write) removes it.

import { randomBytes } from "node:crypto";
import { open, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

const TEMP_INFIX = ".tmp-";

/** Temp files this process is writing right now, which cleaning must spare. */
const inFlight = new Set<string>();

function tempName(baseName: string): string {
  return `.${baseName}${TEMP_INFIX}${process.pid}-${randomBytes(6).toString("hex")}`;
}

/** The pid embedded in a temp name for `baseName`, or undefined if `name` is not one. */
function tempOwner(name: string, baseName: string): number | undefined {
  const prefix = `.${baseName}${TEMP_INFIX}`;
  if (!name.startsWith(prefix)) return undefined;
  const m = /^(\d+)-[0-9a-f]{12}$/.exec(name.slice(prefix.length));
  return m ? Number(m[1]) : undefined;
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM means it exists but belongs to someone else: still alive.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Write `data` to `path` so that, whatever moment the process dies at, `path`
 * holds either its previous content (or nothing) or all of `data`.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, tempName(basename(path)));
  inFlight.add(tmp);
  try {
    const fh = await open(tmp, "wx", 0o644);
    try {
      await fh.writeFile(data);
      // Without this the rename could reach the disk before the data does,
      // and a power loss would leave a renamed but empty or partial file.
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  } finally {
    inFlight.delete(tmp);
  }
  await syncDir(dir);
  await cleanStaleTemps(dir, basename(path)).catch(() => {});
}

/** Make the rename itself durable; some file systems cannot fsync a directory. */
async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, "r");
    await fh.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM" && code !== "EBADF") throw e;
  } finally {
    await fh?.close();
  }
}

/**
 * Remove temp files left beside `dir/baseName` by writers that died. Temps
 * whose writer is still running (in this process or another) are kept, since
 * removing them would make that writer's rename fail. Returns the names removed.
 */
export async function cleanStaleTemps(dir: string, baseName: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    const pid = tempOwner(name, baseName);
    if (pid === undefined) continue;
    const full = join(dir, name);
    if (inFlight.has(full)) continue;
    if (pid !== process.pid && processAlive(pid)) continue;
    await rm(full, { force: true });
    removed.push(name);
  }
  return removed;
}
