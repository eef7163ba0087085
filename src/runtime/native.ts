/**
 * Builds generated C into a shared library with the system compiler and loads it through
 * koffi. The library's path is a hash of the code, the compiler and its flags, so a rebuild
 * happens only when one of them changes; the build writes a private temporary file and renames
 * it into place, so concurrent processes never see a half-written library.
 */
import { createHash, randomBytes } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import koffi from "koffi";
import { LiftError } from "../lang/diagnostics.js";
import { cacheDir } from "./cache.js";

export interface NativeBuild { path: string; cached: boolean; ms: number }

let compilerId: string | undefined;
/** The compiler command (`CC`, else `cc`) and its version line, checked once per process. */
function compiler(): { cc: string; id: string } {
  const cc = process.env.CC || "cc";
  if (compilerId === undefined) {
    const r = spawnSync(cc, ["--version"], { encoding: "utf8" });
    if (r.error || r.status !== 0)
      throw new LiftError(`no C compiler: \`${cc} --version\` failed (${r.error ? (r.error as NodeJS.ErrnoException).code : `exit ${r.status}`})`, undefined,
        "install one (apt-get install gcc) or set CC to its path");
    compilerId = r.stdout.split("\n")[0] ?? cc;
  }
  return { cc, id: compilerId };
}

export const DEFAULT_CFLAGS = ["-std=c99", "-O3", "-march=native", "-fPIC", "-shared", "-Wall", "-Wextra"];

/** The flags for a unit compiled with or without parallel loops (OpenMP is on unless asked otherwise). */
export const cflags = (openmp: boolean | undefined): string[] => (openmp !== false ? [...DEFAULT_CFLAGS, "-fopenmp"] : DEFAULT_CFLAGS);

/** Compiles `source` (with `header` beside it) to a shared library, or finds it in the cache. */
export function buildShared(name: string, header: string, source: string, flags: string[]): NativeBuild {
  const t0 = performance.now();
  const { cc, id } = compiler();
  const hash = createHash("sha256").update(id).update("\0").update(flags.join(" ")).update("\0").update(header).update("\0").update(source).digest("hex").slice(0, 32);
  const dir = join(cacheDir(), hash);
  const lib = join(dir, `lib${name}.so`);
  if (existsSync(lib)) return { path: lib, cached: true, ms: performance.now() - t0 };
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.build-${process.pid}-${randomBytes(6).toString("hex")}`);
  mkdirSync(tmp);
  try {
    writeFileSync(join(tmp, `${name}.h`), header);
    writeFileSync(join(tmp, `${name}.c`), source);
    try {
      execFileSync(cc, [...flags, "-o", join(tmp, "lib.so"), join(tmp, `${name}.c`), "-lm"], { stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      const err = e as { stderr?: Buffer; message: string };
      throw new Error(`internal: the generated C did not compile:\n${err.stderr?.toString() ?? err.message}`);
    }
    writeFileSync(join(dir, `${name}.c`), source);
    writeFileSync(join(dir, `${name}.h`), header);
    renameSync(join(tmp, "lib.so"), lib);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { path: lib, cached: false, ms: performance.now() - t0 };
}

type Library = ReturnType<typeof koffi.load>;
const loaded = new Map<string, Library>();
let gomp: Library | undefined;
/** Loads a library once per process. */
export function loadLibrary(path: string): Library {
  // OpenMP's idle worker threads crash Node's exit (inside libgomp, as the process tears down):
  // the thread pool is released before the process exits.
  if (!gomp) {
    gomp = koffi.load("libgomp.so.1");
    const pause = gomp.func("int omp_pause_resource_all(int kind)") as (kind: number) => number;
    process.on("exit", () => { pause(2 /* omp_pause_hard */); });
  }
  let lib = loaded.get(path);
  if (!lib) loaded.set(path, (lib = koffi.load(path)));
  return lib;
}
