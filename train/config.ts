// The training recipe, with the official PISR defaults (configs/fsrcnn/step1.yml, step2.yml).

import type { BackendChoice } from "../engine/init.ts";
import type { VidPdf } from "../losses/pisr.ts";
import { DISTILL_CHOICES, type Distill } from "./distill.ts";
import type { Architecture } from "../models/pisr.ts";
import { ARCHITECTURES, type ArchName, isArchName } from "../models/registry.ts";

export interface TrainConfig {
  mode: Architecture;
  /** the network (models/registry.ts); run directories written before it existed trained FSRCNNs */
  arch: ArchName;
  scale: number;
  patch: number;
  batch: number;
  lr: number;
  /** cosine annealing floor, stepped once per epoch */
  lrMin: number;
  betas: [number, number];
  epochs: number;
  itersPerEpoch: number;
  seed: number;
  backend: BackendChoice;
  train: string[];
  /** validation folder (PSNR after every epoch), or null */
  val: string | null;
  /** evaluate at most this many validation images */
  valLimit: number;
  out: string;
  /** student only: the teacher checkpoint */
  teacher: string | null;
  lambdaImitation: number;
  lambdaVid: number;
  vidPdf: VidPdf;
  /** student: how it learns from the teacher (train/distill.ts) */
  distill: Distill;
  /** student: start from the teacher's decoder, or from a random initialisation */
  init: "teacher" | "random";
  /** student: weight of the output or hint distillation term (VID has lambdaVid) */
  lambdaDistill: number;
  /** student, output distillation: L1 or L2 between the two HR outputs */
  outputNorm: "l1" | "l2";
  /** a checkpoint (last + resume) after this many steps … */
  checkpointEvery: number;
  /** … or this many minutes since the last one, whichever comes first (epoch ends and stops always write one) */
  checkpointMinutes: number;
}

export function defaultConfig(mode: Architecture): TrainConfig {
  return {
    mode, arch: "fsrcnn", scale: 2, patch: 192, batch: 16, lr: 1e-3, lrMin: 1e-5, betas: [0.9, 0.999], epochs: 1000, itersPerEpoch: 1000, seed: 0,
    backend: "auto", train: [], val: null, valLimit: 5, out: "", teacher: null, lambdaImitation: 1e-4, lambdaVid: 1e-6, vidPdf: "laplace",
    distill: "vid", init: "teacher", lambdaDistill: 1, outputNorm: "l1",
    checkpointEvery: 500, checkpointMinutes: 10,
  };
}

/** A stored config completed with the defaults of fields added since it was written (older run directories). */
export function withDefaults(stored: Partial<TrainConfig> & { mode: TrainConfig["mode"] }): TrainConfig {
  return { ...defaultConfig(stored.mode), ...stored };
}

/** Total steps of the schedule. */
export const totalSteps = (c: TrainConfig): number => c.epochs * c.itersPerEpoch;

/**
 * `--steps N` as epochs of `itersPerEpoch`: N must be a whole number of epochs, or a single epoch shorter than
 * the default length (then one epoch of N steps, as the pipeline's short runs are).
 */
export function epochsForSteps(steps: number, itersPerEpoch: number | undefined): { epochs: number; itersPerEpoch: number } {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`invalid training config: --steps must be a positive integer, got ${steps}`);
  const iters = itersPerEpoch ?? Math.min(steps, 1000);
  if (steps % iters !== 0) throw new Error(`invalid training config: --steps ${steps} is not a whole number of ${iters}-step epochs (--iters-per-epoch)`);
  return { epochs: steps / iters, itersPerEpoch: iters };
}

export function validateConfig(c: TrainConfig): void {
  const bad = (msg: string) => {
    throw new Error(`invalid training config: ${msg}`);
  };
  if (!isArchName(c.arch)) bad(`--arch must be ${ARCHITECTURES.join(", ")}, got ${c.arch}`);
  if (![2, 3, 4].includes(c.scale)) bad(`--scale must be 2, 3 or 4, got ${c.scale}`);
  if (!(c.patch > 0) || c.patch % c.scale !== 0) bad(`--patch ${c.patch} must be a positive multiple of the scale ${c.scale}`);
  for (const [k, v] of [["batch", c.batch], ["epochs", c.epochs], ["iters-per-epoch", c.itersPerEpoch]] as const) {
    if (!Number.isInteger(v) || v < 1) bad(`--${k} must be a positive integer, got ${v}`);
  }
  if (!(c.lr > 0) || !(c.lrMin >= 0) || c.lrMin > c.lr) bad(`learning rates need 0 ≤ lr-min ≤ lr and lr > 0 (got ${c.lrMin}, ${c.lr})`);
  if (!c.train.length) bad("no --train folder given");
  if (!c.out) bad("no --out run directory given");
  if (!DISTILL_CHOICES.includes(c.distill)) bad(`--distill must be ${DISTILL_CHOICES.join(", ")}, got ${c.distill}`);
  if (c.init !== "teacher" && c.init !== "random") bad(`--init must be teacher or random, got ${c.init}`);
  if (c.outputNorm !== "l1" && c.outputNorm !== "l2") bad(`--output-norm must be l1 or l2, got ${c.outputNorm}`);
  if (!(c.lambdaDistill >= 0)) bad(`--lambda-distill must be ≥ 0, got ${c.lambdaDistill}`);
  if (!(c.lambdaImitation >= 0)) bad(`--lambda-imitation must be ≥ 0, got ${c.lambdaImitation}`);
  const needsTeacher = c.mode === "student" && (c.distill !== "none" || c.init === "teacher");
  if (needsTeacher && !c.teacher) bad(`the student needs --teacher CKPT (to ${c.distill !== "none" ? `distil with --distill ${c.distill}` : "start from its decoder"})`);
  if (!["laplace", "gaussian"].includes(c.vidPdf)) bad(`--vid-pdf must be laplace or gaussian, got ${c.vidPdf}`);
  if (!Number.isInteger(c.checkpointEvery) || c.checkpointEvery < 1) bad(`--checkpoint-every must be a positive integer, got ${c.checkpointEvery}`);
  if (!(c.checkpointMinutes > 0)) bad(`--checkpoint-minutes must be positive, got ${c.checkpointMinutes}`);
  if (!Number.isInteger(c.valLimit) || c.valLimit < 1) bad(`--val-limit must be a positive integer, got ${c.valLimit}`);
}
