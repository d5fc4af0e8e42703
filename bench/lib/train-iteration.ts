// Iterations of train/trainer.ts's loop, for the loop workloads L0–L2 of bench/run.ts: built from the
// trainer's own pieces (its config defaults, createSampler, and train/step.ts: buildTrainingParts, launchStep)
// and running the loop body as train() does between two of its pauses (validation, checkpoints, stops):
//   launch: the learning rate of the step (cosine, per epoch) → sampler.next() → inside tidy: both batches
//   uploaded, the stage's loss terms, zeroGrad, backward, Adam step (one submit), every term detached → the
//   reads of every term issued; then, for each step: the next step launched (if the window has one more) → this
//   step's terms awaited → one turn of the event loop → the NaN/Inf check.
// So within a window one step is in flight while the host samples and records the next; at the window's end
// nothing is (as at the trainer's pauses). Left out, because they are not per-step compute: the metrics line
// appended to metrics.jsonl, the progress line, validation at epoch ends and checkpoints.
// test/bench/loops.test.ts checks that the first steps give the losses train() logs for the same config.

import type { Backend } from "../../engine/backend.ts";
import { cosineAnnealingLr } from "../../engine/index.ts";
import { createSampler, type PatchSampler } from "../../image/sampler.ts";
import { type TrainConfig, validateConfig, withDefaults } from "../../train/config.ts";
import { buildTrainingParts, launchStep } from "../../train/step.ts";

export interface TrainIteration {
  readonly config: TrainConfig;
  readonly sampler: PatchSampler;
  /** parameters the optimizer trains */
  readonly parameterCount: number;
  /** iterations run so far */
  readonly steps: number;
  /**
   * `iterations` iterations (1 by default), each launched before the previous one is read; resolves with every
   * iteration's loss terms, read back, once the last is (nothing is left in flight).
   */
  run(iterations?: number): Promise<Record<string, number>[]>;
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
    const { params } = parts;
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
      async run(iterations = 1) {
        // ---- the loop body of train/trainer.ts between two pauses, up to the NaN/Inf check
        let launched = step;
        const launch = () => launchStep(cfg, parts, sampler.next(), backend, lrAt(launched++));
        let current = launch();
        const rows: Record<string, number>[] = [];
        for (let i = 0; i < iterations; i++) {
          const next = i + 1 < iterations ? launch() : null;
          const values = await current.values;
          await new Promise((resolve) => setImmediate(resolve));
          if (!Number.isFinite(values.loss)) throw new Error(`loss became ${values.loss} at step ${step + 1}`);
          step++;
          rows.push(values);
          if (next) current = next;
        }
        return rows;
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
