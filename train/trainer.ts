// One training loop for the three PISR stages. Each step runs inside a memory scope and ends with one
// submit (Optimizer.step flushes); the losses are read back after the step to log and to catch NaN/Inf.

import { existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "../engine/backend.ts";
import { Adam, createBackend, noGrad, Tensor, tidy, cosineAnnealingLr, l1Loss } from "../engine/index.ts";
import { readImage } from "../image/decode.ts";
import { type EvalPair, makeEvalPair } from "../image/evaluate.ts";
import { listImages } from "../image/files.ts";
import { psnr } from "../image/metrics.ts";
import { createSampler, type SamplerState } from "../image/sampler.ts";
import { makePlane } from "../image/types.ts";
import { studentLoss, teacherLoss } from "../losses/pisr.ts";
import { initialiseFromTeacher, PisrModel } from "../models/pisr.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { type TrainConfig, validateConfig } from "./config.ts";
import { upscalePlane } from "./infer.ts";
import { loadModel, saveModel } from "./models-io.ts";
import { writeCurves } from "./plot.ts";
import { Progress } from "./progress.ts";

export interface TrainResult {
  steps: number;
  losses: number[];
  bestPsnr: number | null;
  runDir: string;
}

export interface TrainHooks {
  log?: (line: string) => void;
  /** stop after this many steps in this call (tests use it to interrupt and resume) */
  stopAfter?: number;
}

interface ResumeState {
  step: number;
  bestPsnr: number | null;
  sampler: SamplerState;
}

/** The validation images as (HR Y, LR Y) pairs: decoded and downscaled once per run, not once per epoch. */
function validationPairs(cfg: TrainConfig): EvalPair[] {
  return cfg.val ? listImages(cfg.val).slice(0, cfg.valLimit).map((path) => makeEvalPair(readImage(path), cfg.scale)) : [];
}

async function validate(model: PisrModel, teacherMode: boolean, backend: Backend, cfg: TrainConfig, pairs: EvalPair[]): Promise<number | null> {
  if (!pairs.length) return null;
  let total = 0;
  for (const { hrY, lrY } of pairs) {
    let pred;
    if (teacherMode) {
      const out = tidy(() => noGrad(() => model.forward(Tensor.fromArray(hrY.data, [1, 1, hrY.height, hrY.width], { backend }))));
      pred = makePlane(hrY.width, hrY.height, await out.toArray());
      out.dispose();
    } else pred = await upscalePlane(model, backend, lrY);
    total += psnr(pred, hrY, { shave: cfg.scale });
  }
  return total / pairs.length;
}

export async function train(cfg: TrainConfig, opts: { resume?: boolean } & TrainHooks = {}): Promise<TrainResult> {
  validateConfig(cfg);
  const log = opts.log ?? ((l: string) => console.log(l));
  const dir = cfg.out;
  const paths = { config: join(dir, "config.json"), metrics: join(dir, "metrics.jsonl"), last: join(dir, "last.safetensors"),
    best: join(dir, "best.safetensors"), state: join(dir, "resume.safetensors"), curves: join(dir, "curves.svg") };
  if (!opts.resume && existsSync(paths.last)) throw new Error(`${dir} already holds a run; use --resume ${dir} or another --out`);
  // checked before anything is created or written, so a mistyped --resume leaves no trace
  if (opts.resume && (!existsSync(paths.last) || !existsSync(paths.state))) throw new Error(`${dir}: nothing to resume (no last.safetensors / resume.safetensors)`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(paths.config, JSON.stringify(cfg, null, 2) + "\n");

  const backend = await createBackend(cfg.backend, log);
  log(`backend: ${backend.description}`);
  const model = new PisrModel(cfg.mode, { scale: cfg.scale }, { seed: cfg.seed, backend });
  let teacher: PisrModel | null = null;
  if (cfg.mode === "student") {
    teacher = (await loadModel(cfg.teacher!, backend, "teacher")).model;
    if (teacher.config.scale !== cfg.scale) throw new Error(`${cfg.teacher}: teacher is ×${teacher.config.scale}, student is ×${cfg.scale}`);
    await initialiseFromTeacher(model, teacher);
  }
  const params = model.parameters();
  const optimizer = new Adam(params, { lr: cfg.lr, betas: cfg.betas });
  const sampler = createSampler({ folders: cfg.train, scale: cfg.scale, patchSize: cfg.patch, batchSize: cfg.batch, seed: cfg.seed, warn: log });

  let step = 0;
  let bestPsnr: number | null = null;
  if (opts.resume) {
    await model.loadStateDict((await loadCheckpoint(paths.last)).tensors);
    const st = await loadCheckpoint(paths.state);
    const resume = JSON.parse(st.metadata.resume) as ResumeState;
    const buffers = params.map((_, i) => ["m", "v"].map((k) => st.tensors.get(`optimizer.${i}.${k}`)?.data).filter((b): b is Float32Array => !!b));
    optimizer.loadStateDict({ step: resume.step, lr: Number(st.metadata.lr), buffers });
    sampler.restore(resume.sampler);
    step = resume.step;
    bestPsnr = resume.bestPsnr;
    log(`resumed ${dir} at step ${step}`);
  }

  const epochOf = (s: number) => Math.floor(s / cfg.itersPerEpoch);
  const lrAt = (s: number) => cosineAnnealingLr(cfg.lr, cfg.lrMin, epochOf(s), cfg.epochs);
  const totalSteps = cfg.epochs * cfg.itersPerEpoch;

  const saveAll = async () => {
    const meta = { step: String(step), epoch: String(epochOf(step)), config: JSON.stringify(cfg) };
    await saveModel(paths.last, model, meta);
    const opt = await optimizer.stateDict();
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    opt.buffers.forEach((bufs, i) => bufs.forEach((b, k) => tensors.set(`optimizer.${i}.${k ? "v" : "m"}`, { shape: [b.length], data: b })));
    const resume: ResumeState = { step, bestPsnr, sampler: sampler.state() };
    await saveCheckpoint(paths.state, tensors, { resume: JSON.stringify(resume), lr: String(optimizer.lr) });
  };

  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  process.on("SIGINT", onSigint);
  const losses: number[] = [];
  let valPairs: EvalPair[] | undefined;
  const progress = new Progress(totalSteps, log);
  const started = step;
  try {
    while (step < totalSteps) {
      optimizer.lr = lrAt(step);
      const batch = sampler.next();
      const terms = tidy(() => {
        const lr = Tensor.fromArray(batch.lr, batch.lrShape, { backend });
        const hr = Tensor.fromArray(batch.hr, batch.hrShape, { backend });
        let named: Record<string, Tensor>;
        if (cfg.mode === "teacher") {
          const f = model.features(hr);
          const t = teacherLoss(f.hr, hr, f.encoder!, lr, cfg.lambdaImitation);
          named = { loss: t.loss, reconstruction: t.reconstruction, imitation: t.imitation };
        } else if (cfg.mode === "student") {
          // the frozen teacher records no graph and keeps no activations for backward
          const target = noGrad(() => teacher!.features(hr).expanding);
          const f = model.features(lr);
          const { mu, scale } = model.vid!.estimate(f.expanding);
          const t = studentLoss(f.hr, hr, mu, scale, target, { lambda2: cfg.lambdaVid, pdf: cfg.vidPdf });
          named = { loss: t.loss, reconstruction: t.reconstruction, distillation: t.distillation };
        } else {
          const loss = l1Loss(model.forward(lr), hr);
          named = { loss, reconstruction: loss };
        }
        optimizer.zeroGrad();
        named.loss.backward();
        optimizer.step();
        return Object.fromEntries(Object.entries(named).map(([k, v]) => [k, v.detach()]));
      });
      const values: Record<string, number> = {};
      for (const [k, t] of Object.entries(terms)) {
        values[k] = await t.item();
        t.dispose();
      }
      // let the event loop run once a step: on the CPU backend every await resolves as a microtask,
      // which would keep the SIGINT handler from ever being called
      await new Promise((resolve) => setImmediate(resolve));
      if (!Number.isFinite(values.loss)) {
        const good = existsSync(paths.last) ? `the last good checkpoint is ${paths.last}` : "no last good checkpoint was written yet";
        throw new Error(`loss became ${values.loss} at step ${step + 1}; stopped, ${good}`);
      }
      step++;
      losses.push(values.loss);
      const rate = progress.tick(step, values.loss);
      appendFileSync(paths.metrics, JSON.stringify({ step, epoch: epochOf(step - 1), lr: optimizer.lr, ...values, it_s: Number.isNaN(rate) ? null : rate }) + "\n");
      const endOfEpoch = step % cfg.itersPerEpoch === 0 || step === totalSteps;
      if (endOfEpoch) {
        valPairs ??= validationPairs(cfg);
        const val = await validate(model, cfg.mode === "teacher", backend, cfg, valPairs);
        if (val !== null) {
          appendFileSync(paths.metrics, JSON.stringify({ step, epoch: epochOf(step - 1), val_psnr: val }) + "\n");
          log(`epoch ${epochOf(step - 1) + 1}: validation PSNR ${val.toFixed(3)} dB`);
          if (bestPsnr === null || val > bestPsnr) {
            bestPsnr = val;
            await saveModel(paths.best, model, { step: String(step), val_psnr: String(val) });
          }
        }
        writeCurves(paths.metrics, paths.curves);
      }
      if (endOfEpoch || interrupted || (opts.stopAfter !== undefined && step - started >= opts.stopAfter)) await saveAll();
      if (interrupted) {
        log(`interrupted: checkpoint written at step ${step}; continue with --resume ${dir}`);
        break;
      }
      if (opts.stopAfter !== undefined && step - started >= opts.stopAfter) break;
    }
  } finally {
    process.off("SIGINT", onSigint);
    progress.done();
    if (bestPsnr === null && step === totalSteps) await saveModel(paths.best, model, { step: String(step) });
    model.dispose();
    teacher?.dispose();
    optimizer.dispose();
    backend.destroy();
  }
  if (interrupted) process.exitCode = 130;
  return { steps: step, losses, bestPsnr, runDir: dir };
}

export function readMetrics(path: string): Record<string, number>[] {
  return readFileSync(path, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}
