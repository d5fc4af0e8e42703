/** Locations resolved from the repository root (never from the current directory). */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file lives in image/). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Shared read-only data: ../shared/data relative to the repository root. */
export const SHARED_DATA = resolve(REPO_ROOT, "..", "shared", "data");
/** Benchmark HR sets (Set5, Set14, B100, Urban100). */
export const BENCHMARK_DIR = join(SHARED_DATA, "benchmark");
/** Training photographs (bsds400, sunhays80). */
export const TRAIN_DIR = join(SHARED_DATA, "train");
/** Trained checkpoints shipped with the repository (scripts/ship-weights.ts writes them). */
export const WEIGHTS_DIR = join(REPO_ROOT, "weights");
