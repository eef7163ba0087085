/**
 * Builds generated C into a shared library with the system compiler and loads it through
 * koffi. The library's directory is a hash of the code, the compiler, its flags and (with
 * `-march=native`) the CPU, so a rebuild happens only when one of them changes. The build runs
 * in a private temporary directory (deleting the cache meanwhile cannot break it); the result is
 * stored with a record of its key, size and SHA-256, and a cached library is loaded only once
 * its bytes match that record: a truncated, damaged or swapped `.so` is rebuilt, never dlopen'ed.
 */
import { createHash } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { arch, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import koffi from "koffi";
import { LiftError } from "../lang/diagnostics.js";
import { cacheDir, sha256, storeFiles, warn } from "./cache.js";
import { applyThreadDefaults } from "./threads.js";

export interface NativeBuild {
  path: string;
  cached: boolean;
  ms: number;
}

let compilerId: string | undefined;
/** The compiler command (`CC`, else `cc`) and its version line, checked once per process. */
function compiler(): { cc: string; id: string } {
  const cc = process.env.CC || "cc";
  if (compilerId === undefined) {
    const r = spawnSync(cc, ["--version"], { encoding: "utf8" });
    if (r.error || r.status !== 0)
      throw new LiftError(
        `no C compiler: \`${cc} --version\` failed (${r.error ? (r.error as NodeJS.ErrnoException).code : `exit ${r.status}`})`,
        undefined,
        "install one (apt-get install gcc) or set CC to its path",
      );
    compilerId = r.stdout.split("\n")[0] ?? cc;
  }
  return { cc, id: compilerId };
}

let cpu: string | undefined;
/**
 * The CPU a `-march=native` build is tuned to: its model and feature flags, so a cache shared
 * between machines never hands one machine code that uses instructions it lacks (SIGILL).
 */
export function cpuId(): string {
  if (cpu !== undefined) return cpu;
  let text = "";
  try {
    text = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    /* not Linux */
  }
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, "m").exec(text)?.[1] ?? "";
  return (cpu = [arch(), field("model name") || cpus()[0]?.model || "", field("flags") || field("Features")].join(
    "\0",
  ));
}

/**
 * `-fno-trapping-math -fno-math-errno` change no value: the code never reads the floating-point
 * exception flags or errno. Without them gcc does not if-convert a comparison (`(float)(a == b)`,
 * max-pooling's gradient mask: "control flow in loop") and keeps `sqrtf` (Adam) a call with an
 * errno branch, so neither loop is vectorised; with them the LeNet Adam step at batch 1 took
 * 245 instead of 349 µs (one core, interleaved runs on a busy machine, issue 15).
 */
export const DEFAULT_CFLAGS = [
  "-std=c99",
  "-O3",
  "-march=native",
  "-fno-trapping-math",
  "-fno-math-errno",
  "-fPIC",
  "-shared",
  "-Wall",
  "-Wextra",
];

/** The flags for a unit compiled with or without parallel loops (OpenMP is on unless asked otherwise). */
export const cflags = (openmp: boolean | undefined): string[] =>
  openmp !== false ? [...DEFAULT_CFLAGS, "-fopenmp"] : DEFAULT_CFLAGS;

/** The cache key of a library: everything its bytes depend on. */
export function libraryKey(id: string, flags: string[], header: string, source: string, cpu = cpuId): string {
  const h = createHash("sha256").update(id).update("\0").update(flags.join(" ")).update("\0");
  if (flags.some((f) => /^-m(arch|tune|cpu)=native$/.test(f))) h.update(cpu());
  return h.update("\0").update(header).update("\0").update(source).digest("hex").slice(0, 32);
}

interface LibRecord {
  key: string;
  bytes: number;
  sha256: string;
}

/** Why the cached library at `lib` cannot be used, or undefined when it matches its record. */
function damage(lib: string, record: string, key: string): string | undefined {
  let r: Partial<LibRecord>;
  try {
    r = JSON.parse(readFileSync(record, "utf8")) as Partial<LibRecord>;
  } catch {
    return "its record is missing or unreadable";
  }
  if (!r || typeof r !== "object" || typeof r.sha256 !== "string" || typeof r.bytes !== "number")
    return "its record is damaged";
  if (r.key !== key) return "it belongs to another program";
  let bytes: Buffer;
  try {
    bytes = readFileSync(lib);
  } catch (e) {
    return `it cannot be read (${(e as NodeJS.ErrnoException).code})`;
  }
  if (bytes.length !== r.bytes) return `it has ${bytes.length} bytes, its record says ${r.bytes}`;
  if (sha256(bytes) !== r.sha256) return "its content does not match its record";
  return undefined;
}

/** Compiles `source` (with `header` beside it) to a shared library, or finds it, verified, in the cache. */
export function buildShared(name: string, header: string, source: string, flags: string[]): NativeBuild {
  const t0 = performance.now();
  const { cc, id } = compiler();
  const key = libraryKey(id, flags, header, source);
  const dir = join(cacheDir(), key);
  const lib = join(dir, `lib${name}.so`),
    record = join(dir, `lib${name}.json`);
  if (existsSync(lib) || existsSync(record)) {
    const why = damage(lib, record, key);
    if (!why) return { path: lib, cached: true, ms: performance.now() - t0 };
    warn(`the cached library ${lib} is not usable (${why}); rebuilding it`);
  }
  const bytes = compile(cc, name, header, source, flags);
  const rec: LibRecord = { key, bytes: bytes.length, sha256: sha256(bytes) };
  // The record goes last: a reader that finds it finds the library complete.
  const stored = storeFiles(key, [
    [`${name}.c`, source],
    [`${name}.h`, header],
    [`lib${name}.so`, bytes],
    [`lib${name}.json`, JSON.stringify(rec)],
  ]);
  return { path: join(stored, `lib${name}.so`), cached: false, ms: performance.now() - t0 };
}

/** Runs the C compiler in a private temporary directory; returns the library's bytes. */
function compile(cc: string, name: string, header: string, source: string, flags: string[]): Buffer {
  const tmp = mkdtempSync(join(tmpdir(), "lift-build-"));
  try {
    writeFileSync(join(tmp, `${name}.h`), header);
    writeFileSync(join(tmp, `${name}.c`), source);
    try {
      execFileSync(cc, [...flags, "-o", join(tmp, "lib.so"), join(tmp, `${name}.c`), "-lm"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      const err = e as { stderr?: Buffer; message: string };
      const text = err.stderr?.toString() ?? err.message;
      if (/No space left on device/i.test(text)) throw noSpace(tmp);
      const first = text.split("\n").find((l) => /error/i.test(l)) ?? text.split("\n")[0];
      throw new Error(`the generated C did not compile: ${first}\n${text}`);
    }
    return readFileSync(join(tmp, "lib.so"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOSPC") throw noSpace(tmp);
    throw e;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const noSpace = (where: string) =>
  new LiftError(
    `no space left on the device holding ${where} (the C build's temporary directory)`,
    undefined,
    "free some space, or set TMPDIR to a directory on another disk",
  );

type Library = ReturnType<typeof koffi.load>;
const loaded = new Map<string, Library>();
let gomp: Library | undefined;
/** Loads a library once per process. */
export function loadLibrary(path: string): Library {
  // OpenMP's idle worker threads crash Node's exit (inside libgomp, as the process tears down):
  // the thread pool is released before the process exits.
  if (!gomp) {
    applyThreadDefaults(); // pinned threads, bounded spinning (threads.ts): read once, as libgomp loads
    gomp = koffi.load("libgomp.so.1");
    const pause = gomp.func("int omp_pause_resource_all(int kind)") as (kind: number) => number;
    process.on("exit", () => {
      pause(2 /* omp_pause_hard */);
    });
  }
  let lib = loaded.get(path);
  if (!lib) {
    try {
      lib = koffi.load(path);
    } catch (e) {
      throw new LiftError(
        `cannot load the compiled library ${path}: ${(e as Error).message.split("\n")[0]}`,
        undefined,
        "delete that file's directory to rebuild it",
      );
    }
    loaded.set(path, lib);
  }
  return lib;
}
