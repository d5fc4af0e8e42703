// The training recipe, with the official PISR defaults (configs/fsrcnn/step1.yml, step2.yml).

import type { BackendChoice } from "../engine/init.ts";
import type { VidPdf } from "../losses/pisr.ts";
import type { Architecture } from "../models/pisr.ts";

export interface TrainConfig {
  mode: Architecture;
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
}

export function defaultConfig(mode: Architecture): TrainConfig {
  return {
    mode, scale: 2, patch: 192, batch: 16, lr: 1e-3, lrMin: 1e-5, betas: [0.9, 0.999], epochs: 1000, itersPerEpoch: 1000, seed: 0,
    backend: "auto", train: [], val: null, valLimit: 5, out: "", teacher: null, lambdaImitation: 1e-4, lambdaVid: 1e-6, vidPdf: "laplace",
  };
}

export function validateConfig(c: TrainConfig): void {
  const bad = (msg: string) => {
    throw new Error(`invalid training config: ${msg}`);
  };
  if (![2, 3, 4].includes(c.scale)) bad(`--scale must be 2, 3 or 4, got ${c.scale}`);
  if (!(c.patch > 0) || c.patch % c.scale !== 0) bad(`--patch ${c.patch} must be a positive multiple of the scale ${c.scale}`);
  for (const [k, v] of [["batch", c.batch], ["epochs", c.epochs], ["iters-per-epoch", c.itersPerEpoch]] as const) {
    if (!Number.isInteger(v) || v < 1) bad(`--${k} must be a positive integer, got ${v}`);
  }
  if (!(c.lr > 0) || !(c.lrMin >= 0) || c.lrMin > c.lr) bad(`learning rates need 0 ≤ lr-min ≤ lr and lr > 0 (got ${c.lrMin}, ${c.lr})`);
  if (!c.train.length) bad("no --train folder given");
  if (!c.out) bad("no --out run directory given");
  if (c.mode === "student" && !c.teacher) bad("the student needs --teacher CKPT");
  if (!["laplace", "gaussian"].includes(c.vidPdf)) bad(`--vid-pdf must be laplace or gaussian, got ${c.vidPdf}`);
}
