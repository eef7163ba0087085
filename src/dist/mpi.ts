// A small typed binding to Open MPI (Debian's libmpi.so.40, Open MPI 4.1) through koffi: the few
// calls data-parallel training needs. No npm MPI binding is maintained, and these are stable C
// entry points. Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM …) are the addresses of
// exported objects (ompi_mpi_comm_world …), and MPI_IN_PLACE is the pointer value 1
// (shared/docs/platform-notes.md). Every call is synchronous; an error code becomes a LiftError
// (Open MPI's default handler, MPI_ERRORS_ARE_FATAL, normally aborts the job before that).

import koffi from "koffi";
import { LiftError } from "../lang/diagnostics.js";

/** The library's soname; LIFT_LIBMPI overrides it (a full path, or another soname). */
const LIBMPI = process.env.LIFT_LIBMPI || "libmpi.so.40";
const MISSING_HINT = "install Open MPI: the Debian packages openmpi-bin and libopenmpi-dev (scripts/setup installs them)";

export type ReduceOp = "sum" | "max" | "min";

const OP_SYMBOL: Record<ReduceOp, string> = { sum: "ompi_mpi_op_sum", max: "ompi_mpi_op_max", min: "ompi_mpi_op_min" };

type Fn = (...args: unknown[]) => number;

interface Raw {
  initThread: Fn; finalize: Fn; initialized: Fn; finalized: Fn; rank: Fn; size: Fn;
  allreduce: Fn; barrier: Fn; abort: Fn;
  world: unknown; float: unknown; double: unknown; ops: Record<ReduceOp, unknown>;
}

let raw: Raw | undefined;

function bind(): Raw {
  if (raw) return raw;
  let lib: ReturnType<typeof koffi.load>;
  try {
    // global: Open MPI loads its components (mca_*.so) with dlopen, and they need libmpi's symbols.
    lib = koffi.load(LIBMPI, { global: true });
  } catch (e) {
    throw new LiftError(`Open MPI is not available: ${LIBMPI} could not be loaded (${(e as Error).message})`, undefined, MISSING_HINT);
  }
  const f = (proto: string) => lib.func(proto) as unknown as Fn;
  raw = {
    initThread: f("int MPI_Init_thread(void *argc, void *argv, int required, _Out_ int *provided)"),
    finalize: f("int MPI_Finalize(void)"),
    initialized: f("int MPI_Initialized(_Out_ int *flag)"),
    finalized: f("int MPI_Finalized(_Out_ int *flag)"),
    rank: f("int MPI_Comm_rank(void *comm, _Out_ int *rank)"),
    size: f("int MPI_Comm_size(void *comm, _Out_ int *size)"),
    allreduce: f("int MPI_Allreduce(void *send, void *recv, int count, void *type, void *op, void *comm)"),
    barrier: f("int MPI_Barrier(void *comm)"),
    abort: f("int MPI_Abort(void *comm, int code)"),
    world: lib.symbol("ompi_mpi_comm_world"),
    float: lib.symbol("ompi_mpi_float"),
    double: lib.symbol("ompi_mpi_double"),
    ops: { sum: lib.symbol(OP_SYMBOL.sum), max: lib.symbol(OP_SYMBOL.max), min: lib.symbol(OP_SYMBOL.min) },
  };
  return raw;
}

const MPI_THREAD_SERIALIZED = 2;
/** MPI_IN_PLACE in Open MPI: `(void *) 1`. */
const IN_PLACE = koffi.as(1, "void *");

function check(what: string, code: number): void {
  if (code !== 0) throw new LiftError(`${what} failed with MPI error code ${code}`);
}

/** MPI_COMM_WORLD of this process, once MPI is initialised. */
export class World {
  private finalized = false;

  private constructor(private readonly mpi: Raw, readonly rank: number, readonly size: number) {}

  /** MPI_Init_thread (serialized: only the main thread calls MPI), then rank and size. */
  static init(): World {
    const mpi = bind();
    const flag = [0];
    check("MPI_Initialized", mpi.initialized(flag));
    if (flag[0]) throw new LiftError("MPI is initialised already in this process");
    const provided = [0];
    check("MPI_Init_thread", mpi.initThread(null, null, MPI_THREAD_SERIALIZED, provided));
    const rank = [0], size = [0];
    check("MPI_Comm_rank", mpi.rank(mpi.world, rank));
    check("MPI_Comm_size", mpi.size(mpi.world, size));
    return new World(mpi, rank[0]!, size[0]!);
  }

  get isRoot(): boolean {
    return this.rank === 0;
  }

  /** Combines `buf` elementwise across all ranks, in place: every rank gets the same result. */
  allreduce(buf: Float32Array | Float64Array, op: ReduceOp = "sum"): void {
    this.live("MPI_Allreduce");
    const type = buf instanceof Float32Array ? this.mpi.float : this.mpi.double;
    check("MPI_Allreduce", this.mpi.allreduce(IN_PLACE, buf, buf.length, type, this.mpi.ops[op], this.mpi.world));
  }

  barrier(): void {
    this.live("MPI_Barrier");
    check("MPI_Barrier", this.mpi.barrier(this.mpi.world));
  }

  /** Ends every process of the job (MPI_Abort); does not return. */
  abort(code: number): never {
    this.mpi.abort(this.mpi.world, code);
    process.exit(code);
  }

  /** MPI_Finalize, once; later calls do nothing. Every rank must call it for a clean end. */
  finalize(): void {
    if (this.finalized) return;
    this.finalized = true;
    check("MPI_Finalize", this.mpi.finalize());
  }

  private live(what: string): void {
    if (this.finalized) throw new LiftError(`${what} after MPI_Finalize`);
  }
}
