// What one training run is made of and what one of its iterations does, shared by the trainer (train/trainer.ts)
// and the loop benchmarks (bench/lib/train-iteration.ts), so that both run the same work.

import type { Backend } from "../engine/backend.ts";
import { Adam, l1Loss, type Tensor, Tensor as T, tidy } from "../engine/index.ts";
import type { Batch } from "../image/sampler.ts";
import { teacherLoss } from "../losses/pisr.ts";
import { initialiseFromTeacher, PisrModel } from "../models/pisr.ts";
import type { TrainConfig } from "./config.ts";
import { Distiller } from "./distill.ts";
import { loadModel } from "./models-io.ts";

export interface TrainingParts {
  model: PisrModel;
  /** the frozen teacher a student distils from (null otherwise, and for --distill none once initialised) */
  teacher: PisrModel | null;
  distiller: Distiller | null;
  /** what the optimizer trains, in the order resume.safetensors stores its moments */
  params: Tensor[];
  optimizer: Adam;
  dispose(): void;
}

/**
 * The network, its teacher (loaded from cfg.teacher; with `randomTeacher`, a freshly initialised one when none
 * is given: the same work, for benchmarks), the distiller and Adam, for `cfg` on `backend`.
 */
export async function buildTrainingParts(cfg: TrainConfig, backend: Backend, opts: { randomTeacher?: boolean } = {}): Promise<TrainingParts> {
  let teacher: PisrModel | null = null;
  if (cfg.mode === "student" && (cfg.distill !== "none" || cfg.init === "teacher")) {
    if (cfg.teacher) teacher = (await loadModel(cfg.teacher, backend, "teacher")).model;
    else if (opts.randomTeacher) teacher = new PisrModel("teacher", { scale: cfg.scale }, { arch: cfg.arch, seed: cfg.seed + 1, backend });
  }
  const teacherChannels = teacher?.spec.distilledChannels(teacher.config);
  let model: PisrModel | null = null;
  try {
    if (teacher) {
      if (teacher.arch !== cfg.arch) throw new Error(`${cfg.teacher}: the teacher's decoder is ${teacher.arch}, the student is ${cfg.arch} (--arch)`);
      if (teacher.config.scale !== cfg.scale) throw new Error(`${cfg.teacher}: teacher is ×${teacher.config.scale}, student is ×${cfg.scale}`);
    }
    model = new PisrModel(cfg.mode, { scale: cfg.scale }, { arch: cfg.arch, seed: cfg.seed, backend, teacherChannels });
    if (teacher) {
      if (cfg.init === "teacher") await initialiseFromTeacher(model, teacher);
      // only the distillation reads the teacher after this
      if (cfg.distill === "none") {
        teacher.dispose();
        teacher = null;
      }
    }
  } catch (e) {
    model?.dispose();
    teacher?.dispose();
    throw e;
  }
  const net = model!; // built, or the catch above has thrown
  const distiller = cfg.mode === "student" ? new Distiller(cfg, net, teacher, backend) : null;
  const params = distiller?.parameters() ?? net.parameters();
  const optimizer = new Adam(params, { lr: cfg.lr, betas: cfg.betas });
  return {
    model: net, teacher, distiller, params, optimizer,
    dispose() {
      net.dispose();
      teacher?.dispose();
      distiller?.dispose();
      optimizer.dispose();
    },
  };
}

/**
 * One iteration on `batch` inside a memory scope: both batches uploaded, the stage's loss terms, zeroGrad,
 * backward, Adam's step (one submit); returns every term detached (the caller reads and disposes them).
 */
export function trainingStep(cfg: TrainConfig, parts: TrainingParts, batch: Batch, backend: Backend): Record<string, Tensor> {
  const { model, distiller, optimizer } = parts;
  return tidy(() => {
    const lr = T.fromArray(batch.lr, batch.lrShape, { backend });
    const hr = T.fromArray(batch.hr, batch.hrShape, { backend });
    let named: Record<string, Tensor>;
    if (cfg.mode === "teacher") {
      const f = model.features(hr);
      const t = teacherLoss(f.hr, hr, f.encoder!, lr, cfg.lambdaImitation);
      named = { loss: t.loss, reconstruction: t.reconstruction, imitation: t.imitation };
    } else if (distiller) {
      named = distiller.terms(lr, hr);
    } else {
      const loss = l1Loss(model.forward(lr), hr);
      named = { loss, reconstruction: loss };
    }
    optimizer.zeroGrad();
    named.loss.backward();
    optimizer.step();
    return Object.fromEntries(Object.entries(named).map(([k, v]) => [k, v.detach()]));
  });
}

/**
 * Reads every term back and frees them. Every read is issued now, in one go, so that the copies are queued right
 * behind this step's work: a step recorded after this call does not delay them (the trainer records the next step
 * before it awaits these values).
 */
export function readTerms(terms: Record<string, Tensor>): Promise<Record<string, number>> {
  const names = Object.keys(terms);
  const reads = names.map((k) => terms[k]!.item());
  return Promise.allSettled(reads).then((settled) => {
    for (const k of names) terms[k]!.dispose();
    const values: Record<string, number> = {};
    settled.forEach((r, i) => {
      if (r.status === "rejected") throw r.reason;
      values[names[i]!] = r.value;
    });
    return values;
  });
}

/** A step recorded and submitted; its terms arrive once the device has run it. */
export interface LaunchedStep {
  /** the learning rate it was taken with */
  lr: number;
  values: Promise<Record<string, number>>;
}

/**
 * Sets the learning rate, records the step on `batch` and submits it, and issues its reads, without waiting for
 * any of it: the caller can sample and record the next step while the device runs this one.
 */
export function launchStep(cfg: TrainConfig, parts: TrainingParts, batch: Batch, backend: Backend, lr: number): LaunchedStep {
  parts.optimizer.lr = lr;
  const values = readTerms(trainingStep(cfg, parts, batch, backend));
  // a step still in flight when the loop stops on an error is never awaited: that is not an unhandled rejection
  values.catch(() => {});
  return { lr, values };
}
