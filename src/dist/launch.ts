// How `lift train` joins an MPI job: under mpirun it does unless told `--distributed off`;
// `--distributed on` joins without mpirun too (a job of one rank, MPI's singleton start). A rank
// that fails ends the whole job (MPI_Abort), so no other rank waits for it.

import { LiftError } from "../lang/diagnostics.js";
import { World } from "./mpi.js";

/** How a run was launched: under mpirun (or another PMIx launcher), or forced either way. */
export type DistributedMode = "auto" | "on" | "off";

/** Whether this process should join an MPI job: Open MPI's launcher sets OMPI_COMM_WORLD_SIZE. */
export function launchedByMpi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.OMPI_COMM_WORLD_SIZE !== undefined || env.PMIX_RANK !== undefined;
}

export const DISTRIBUTED_MODES: readonly DistributedMode[] = ["auto", "on", "off"];

/** The MPI job this process is a rank of, or undefined for a plain single-process run. */
export function joinJob(mode: DistributedMode, env: NodeJS.ProcessEnv = process.env): World | undefined {
  if (mode === "off" || (mode === "auto" && !launchedByMpi(env))) return undefined;
  return World.init();
}

/**
 * Reports a rank's error and ends the job. Rank 0 prints at once; the others wait a second first,
 * so that an error every rank meets (a bad flag value, a missing file) is printed once, by rank 0,
 * whose MPI_Abort ends them before they print.
 */
export async function failJob(world: World, e: unknown): Promise<never> {
  if (!world.isRoot) await new Promise((r) => setTimeout(r, 1000));
  const text = e instanceof LiftError ? e.format() : e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`${world.isRoot ? "" : `rank ${world.rank}: `}${text}\n`);
  return world.abort(1);
}
