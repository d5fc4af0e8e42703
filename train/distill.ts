// How a student learns from its teacher (issue: the distillation baselines and ablations). One choice per run:
//   vid    — PISR: VID on the `expanding` features (the estimator is part of the student checkpoint)
//   output — soft targets for SR: the student's HR output fits the frozen teacher's (L1 or L2)
//   hint   — FitNets: a 1×1-conv regressor maps the student's `expanding` onto the teacher's, L2; the regressor
//            is trained with the student and kept in resume.safetensors, never in the exported student
//   none   — reconstruction only (with --init teacher: "initialisation only")
// Each returns the step's named loss terms; `loss` is the one to minimise.

import type { Backend } from "../engine/backend.ts";
import { nn, noGrad, Rng, type Tensor } from "../engine/index.ts";
import { distilledLoss, hintLoss, outputDistillationLoss, studentLoss } from "../losses/pisr.ts";
import type { PisrModel } from "../models/pisr.ts";
import type { TrainConfig } from "./config.ts";

export type Distill = "vid" | "output" | "hint" | "none";
export const DISTILL_CHOICES: readonly Distill[] = ["vid", "output", "hint", "none"];

type StateDict = Map<string, { shape: number[]; data: Float32Array }>;

export class Distiller {
  /** the FitNets regressor (hint only) */
  readonly regressor: nn.Conv2d | null;

  constructor(private cfg: TrainConfig, private student: PisrModel, private teacher: PisrModel | null, backend: Backend) {
    const own = student.spec.distilledChannels(student.config);
    const target = teacher ? teacher.spec.distilledChannels(teacher.config) : own;
    // seeded apart from the student's own initialisation
    this.regressor = cfg.distill === "hint" ? new nn.Conv2d(own, target, 1, { rng: new Rng(cfg.seed + 7919), backend }) : null;
  }

  /**
   * What the optimizer trains: the whole student with VID (its estimator included, in the order earlier run
   * directories stored); otherwise the student without the unused estimator, plus the regressor for hints.
   */
  parameters(): Tensor[] {
    if (this.cfg.distill === "vid") return this.student.parameters();
    const own = this.student.namedParameters().filter(([name]) => !name.startsWith("vid_module_dict.")).map(([, p]) => p);
    return [...own, ...(this.regressor?.parameters() ?? [])];
  }

  /** The step's loss terms for a batch (LR input, HR target). */
  terms(lr: Tensor, hr: Tensor): Record<string, Tensor> {
    const { cfg, student, teacher } = this;
    const f = student.features(lr);
    switch (cfg.distill) {
      case "vid": {
        // the frozen teacher records no graph and keeps no activations for backward
        const target = noGrad(() => teacher!.distilledFeatures(hr));
        const { mu, scale } = student.vid!.estimate(f.distilled);
        return { ...studentLoss(f.hr, hr, mu, scale, target, { lambda2: cfg.lambdaVid, pdf: cfg.vidPdf }) };
      }
      case "output": {
        const target = noGrad(() => teacher!.forward(hr));
        return { ...distilledLoss(f.hr, hr, outputDistillationLoss(f.hr, target, cfg.outputNorm), cfg.lambdaDistill) };
      }
      case "hint": {
        const target = noGrad(() => teacher!.distilledFeatures(hr));
        return { ...distilledLoss(f.hr, hr, hintLoss(this.regressor!.forward(f.distilled), target), cfg.lambdaDistill) };
      }
      case "none":
        return { ...distilledLoss(f.hr, hr, null, 0) };
    }
  }

  /** Tensors a resume needs besides the student and the optimizer: the hint regressor. */
  async state(): Promise<StateDict> {
    const out: StateDict = new Map();
    if (this.regressor) for (const [name, t] of await this.regressor.stateDict()) out.set(`hint_regressor.${name}`, t);
    return out;
  }

  async load(tensors: Map<string, { shape: number[]; data: Float32Array }>): Promise<void> {
    if (!this.regressor) return;
    const own = new Map([...tensors].filter(([k]) => k.startsWith("hint_regressor.")).map(([k, v]) => [k.slice("hint_regressor.".length), v]));
    await this.regressor.loadStateDict(own);
  }

  dispose(): void {
    this.regressor?.dispose();
  }
}
