// One iteration of train/trainer.ts's loop, for the loop workloads L0–L2 of bench/run.ts: built from the
// trainer's own pieces (its config defaults, createSampler, and train/step.ts: buildTrainingParts, trainingStep,
// readTerms) and running the loop body as train() does:
//   learning rate of the step (cosine, per epoch) → sampler.next() → inside tidy: both batches uploaded, the
//   stage's loss terms, zeroGrad, backward, Adam step (one submit), every term detached → each term read back
//   with item(), one after the other → one turn of the event loop → the NaN/Inf check.
// Left out, because they are not per-step compute: the metrics line appended to metrics.jsonl, the progress
// line, validation at epoch ends and checkpoints. test/bench/loops.test.ts checks that the first steps give the
// losses train() logs for the same config.

import type { Backend } from "../../engine/backend.ts";
import { cosineAnnealingLr } from "../../engine/index.ts";
import { createSampler, type PatchSampler } from "../../image/sampler.ts";
import { type TrainConfig, validateConfig, withDefaults } from "../../train/config.ts";
import { buildTrainingParts, readTerms, trainingStep } from "../../train/step.ts";

export interface TrainIteration {
  readonly config: TrainConfig;
  readonly sampler: PatchSampler;
  /** parameters the optimizer trains */
  readonly parameterCount: number;
  /** iterations run so far */
  readonly steps: number;
  /** one iteration; resolves with every loss term, read back */
  run(): Promise<Record<string, number>>;
  dispose(): void;
}

export interface TrainIterationOptions {
  /** decode every training image before the first step (the steady state of a run after its first epoch) */
  preload?: boolean;
  /** where the sampler's warnings go */
  warn?: (message: string) => void;
}

/**
 * The iteration of `config` (completed with the trainer's defaults) on `backend`. The student's teacher is
 * `config.teacher` when given, else a freshly initialised teacher (seed + 1): the same work as a trained one.
 */
export async function createTrainIteration(
  config: Partial<TrainConfig> & Pick<TrainConfig, "mode" | "train">, backend: Backend, opts: TrainIterationOptions = {},
): Promise<TrainIteration> {
  const cfg = withDefaults({ out: "(bench)", ...config });
  validateConfig({ ...cfg, teacher: cfg.teacher ?? "(random)" });
  const parts = await buildTrainingParts(cfg, backend, { randomTeacher: true });
  try {
    const { params, optimizer: opt } = parts;
    const sampler = createSampler({
      folders: cfg.train, scale: cfg.scale, patchSize: cfg.patch, batchSize: cfg.batch, seed: cfg.seed, warn: opts.warn, preload: opts.preload,
    });
    const epochOf = (s: number) => Math.floor(s / cfg.itersPerEpoch);
    const lrAt = (s: number) => cosineAnnealingLr(cfg.lr, cfg.lrMin, epochOf(s), cfg.epochs);
    let step = 0;
    return {
      config: cfg,
      sampler,
      parameterCount: params.reduce((a, p) => a + p.size, 0),
      get steps() {
        return step;
      },
      async run() {
        // ---- the loop body of train/trainer.ts, up to the NaN/Inf check
        opt.lr = lrAt(step);
        const batch = sampler.next();
        const values = await readTerms(trainingStep(cfg, parts, batch, backend));
        await new Promise((resolve) => setImmediate(resolve));
        if (!Number.isFinite(values.loss)) throw new Error(`loss became ${values.loss} at step ${step + 1}`);
        step++;
        return values;
      },
      dispose() {
        parts.dispose();
      },
    };
  } catch (e) {
    parts.dispose();
    throw e;
  }
}
