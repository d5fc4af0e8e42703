// One iteration of train/trainer.ts's loop, for the loop workloads L0–L2 of bench/run.ts: built from the
// trainer's own pieces (its config defaults, createSampler, PisrModel, teacherLoss, the Distiller, Adam) and
// running the loop body as train() does, line for line:
//   learning rate of the step (cosine, per epoch) → sampler.next() → inside tidy: both batches uploaded, the
//   stage's loss terms, zeroGrad, backward, Adam step (one submit), every term detached → each term read back
//   with item(), one after the other → one turn of the event loop → the NaN/Inf check.
// Left out, because they are not per-step compute: the metrics line appended to metrics.jsonl, the progress
// line, validation at epoch ends and checkpoints. test/bench/loops.test.ts checks that the first steps give the
// losses train() logs for the same config.

import type { Backend } from "../../engine/backend.ts";
import { Adam, cosineAnnealingLr, l1Loss, Tensor, tidy } from "../../engine/index.ts";
import { createSampler, type PatchSampler } from "../../image/sampler.ts";
import { teacherLoss } from "../../losses/pisr.ts";
import { initialiseFromTeacher, PisrModel } from "../../models/pisr.ts";
import { type TrainConfig, validateConfig, withDefaults } from "../../train/config.ts";
import { Distiller } from "../../train/distill.ts";
import { loadModel } from "../../train/models-io.ts";

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
  let model: PisrModel | null = null, teacher: PisrModel | null = null, distiller: Distiller | null = null, optimizer: Adam | null = null;
  try {
    // as train(): the model, the teacher (student only), the distiller, Adam, the sampler
    model = new PisrModel(cfg.mode, { scale: cfg.scale }, { seed: cfg.seed, backend });
    if (cfg.mode === "student" && (cfg.distill !== "none" || cfg.init === "teacher")) {
      teacher = cfg.teacher
        ? (await loadModel(cfg.teacher, backend, "teacher")).model
        : new PisrModel("teacher", { scale: cfg.scale }, { seed: cfg.seed + 1, backend });
      if (teacher.config.scale !== cfg.scale) throw new Error(`${cfg.teacher}: teacher is ×${teacher.config.scale}, student is ×${cfg.scale}`);
      if (cfg.init === "teacher") await initialiseFromTeacher(model, teacher);
      if (cfg.distill === "none") {
        teacher.dispose();
        teacher = null;
      }
    }
    distiller = cfg.mode === "student" ? new Distiller(cfg, model, teacher, backend) : null;
    const params = distiller?.parameters() ?? model.parameters();
    optimizer = new Adam(params, { lr: cfg.lr, betas: cfg.betas });
    const sampler = createSampler({
      folders: cfg.train, scale: cfg.scale, patchSize: cfg.patch, batchSize: cfg.batch, seed: cfg.seed, warn: opts.warn, preload: opts.preload,
    });
    const epochOf = (s: number) => Math.floor(s / cfg.itersPerEpoch);
    const lrAt = (s: number) => cosineAnnealingLr(cfg.lr, cfg.lrMin, epochOf(s), cfg.epochs);
    const [m, opt] = [model, optimizer];
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
        const terms = tidy(() => {
          const lr = Tensor.fromArray(batch.lr, batch.lrShape, { backend });
          const hr = Tensor.fromArray(batch.hr, batch.hrShape, { backend });
          let named: Record<string, Tensor>;
          if (cfg.mode === "teacher") {
            const f = m.features(hr);
            const t = teacherLoss(f.hr, hr, f.encoder!, lr, cfg.lambdaImitation);
            named = { loss: t.loss, reconstruction: t.reconstruction, imitation: t.imitation };
          } else if (distiller) {
            named = distiller.terms(lr, hr);
          } else {
            const loss = l1Loss(m.forward(lr), hr);
            named = { loss, reconstruction: loss };
          }
          opt.zeroGrad();
          named.loss.backward();
          opt.step();
          return Object.fromEntries(Object.entries(named).map(([k, v]) => [k, v.detach()]));
        });
        const values: Record<string, number> = {};
        for (const [k, t] of Object.entries(terms)) {
          values[k] = await t.item();
          t.dispose();
        }
        await new Promise((resolve) => setImmediate(resolve));
        if (!Number.isFinite(values.loss)) throw new Error(`loss became ${values.loss} at step ${step + 1}`);
        step++;
        return values;
      },
      dispose() {
        m.dispose();
        teacher?.dispose();
        distiller?.dispose();
        opt.dispose();
      },
    };
  } catch (e) {
    model?.dispose();
    teacher?.dispose();
    distiller?.dispose();
    optimizer?.dispose();
    throw e;
  }
}
