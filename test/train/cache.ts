/**
 * The compile cache the training tests share: one directory under the system's temp dir, so the
 * training step (several seconds to build the first time) is compiled once for all of them, and
 * the `lift` processes they spawn inherit it. Content-addressed, so it never serves stale code.
 */
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

export const TRAIN_TEST_CACHE = join(tmpdir(), `lift-train-tests-cache-${userInfo().uid}`);
process.env.LIFT_CACHE = TRAIN_TEST_CACHE;

export const SUBSET_DIR = join(process.cwd(), "test", "data", "fashion-small");
export const LENET = join(process.cwd(), "examples", "fashion-lenet.lift");
