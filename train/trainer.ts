// One training loop for the three PISR stages. Each step runs inside a memory scope and ends with one
// submit (Optimizer.step flushes); its losses are read back to log and to catch NaN/Inf while the next step,
// already submitted, runs (one step in flight; none where the loop validates, saves or stops).
// A checkpoint (last + resume) is written every `checkpointEvery` steps or `checkpointMinutes`, at every epoch
// end and when a signal stops the run, so an interruption of any kind costs minutes at most.

import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Backend } from "../engine/backend.ts";
import { createBackend, noGrad, Tensor, tidy, cosineAnnealingLr } from "../engine/index.ts";
import { readImage } from "../image/decode.ts";
import { makeEvalPair, makeRgbEvalPair, predictionY } from "../image/evaluate.ts";
import { listImages } from "../image/files.ts";
import { psnr } from "../image/metrics.ts";
import { createSampler, type SamplerState } from "../image/sampler.ts";
import { mergeChannels, splitChannels } from "../image/color.ts";
import { type Image, makePlane, type Plane } from "../image/types.ts";
import { archSpec } from "../models/registry.ts";
import type { PisrModel } from "../models/pisr.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { totalSteps, type TrainConfig, validateConfig, withDefaults } from "./config.ts";
import { HealthLog } from "./health.ts";
import { upscaleImage } from "../infer/upscale.ts";
import { saveModel } from "./models-io.ts";
import { writeCurves } from "./plot.ts";
import { Progress } from "./progress.ts";
import { buildTrainingParts, type LaunchedStep, launchStep, type TrainingParts } from "./step.ts";
import { recordSession } from "./provenance.ts";
import { runPaths, truncateLog } from "./run-dir.ts";
import { type StopSignal, StopSignals } from "./stop-signals.ts";

export interface TrainResult {
  steps: number;
  losses: number[];
  bestPsnr: number | null;
  runDir: string;
  /** the signal that stopped the run (after a checkpoint), or null */
  interrupted: StopSignal | null;
  /** the schedule has run to its end (now or before: resuming a finished run trains nothing) */
  complete: boolean;
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
  /** training seconds so far, over all sessions (absent in run directories written before it was added) */
  seconds?: number;
}

/** A validation image: what the network takes (HR for the teacher, LR otherwise), and the Y its output is scored on. */
interface ValidationPair {
  hr: Image;
  lr: Image;
  hrY: Plane;
  /** the prediction's Y: itself for a Y-channel network, else its luma (a greyscale source: the channel mean) */
  yOf(pred: Image): Plane;
}

/** The validation images, decoded and downscaled once per run (not once per epoch), in the network's colours. */
function validationPairs(cfg: TrainConfig): ValidationPair[] {
  if (!cfg.val) return [];
  const spec = archSpec(cfg.arch);
  const rgb = spec.imageChannels(spec.resolve({ scale: cfg.scale })) === 3;
  return listImages(cfg.val).slice(0, cfg.valLimit).map((path) => {
    if (!rgb) {
      const { hrY, lrY } = makeEvalPair(readImage(path), cfg.scale);
      return { hr: hrY, lr: lrY, hrY, yOf: (pred) => pred as Plane };
    }
    const { hr, lr, hrY, grey } = makeRgbEvalPair(readImage(path), cfg.scale);
    return { hr, lr, hrY, yOf: (pred) => predictionY(pred, grey) };
  });
}

/** The teacher's reconstruction of a whole HR image (interleaved channels in and out). */
async function reconstruct(model: PisrModel, backend: Backend, hr: Image): Promise<Image> {
  const { width: W, height: H, channels: C } = hr;
  const planar = new Float32Array(C * W * H);
  splitChannels(hr).forEach((p, c) => planar.set(p.data, c * W * H));
  const out = tidy(() => noGrad(() => model.forward(Tensor.fromArray(planar, [1, C, H, W], { backend }))));
  const values = await out.toArray();
  out.dispose();
  return mergeChannels(Array.from({ length: C }, (_, c) => makePlane(W, H, values.slice(c * W * H, (c + 1) * W * H))));
}

async function validate(model: PisrModel, teacherMode: boolean, backend: Backend, cfg: TrainConfig, pairs: ValidationPair[]): Promise<number | null> {
  if (!pairs.length) return null;
  let total = 0;
  for (const pair of pairs) {
    const pred = teacherMode ? await reconstruct(model, backend, pair.hr) : await upscaleImage(model, backend, pair.lr);
    total += psnr(pair.yOf(pred), pair.hrY, { shave: cfg.scale });
  }
  return total / pairs.length;
}

/**
 * Trains `config.out` from scratch, or with `resume` continues the run stored there (the caller passes the
 * stored config, with `out` set to where the run is now and any schedule extension applied).
 */
export async function train(config: TrainConfig, opts: { resume?: boolean } & TrainHooks = {}): Promise<TrainResult> {
  const cfg = withDefaults(config);
  validateConfig(cfg);
  const log = opts.log ?? ((l: string) => console.log(l));
  const dir = cfg.out;
  const paths = runPaths(dir);
  const total = totalSteps(cfg);
  if (!opts.resume && existsSync(paths.last)) throw new Error(`${dir} already holds a run; use --resume ${dir} or another --out`);

  // Everything the run needs is read and checked before anything is written: a mistyped flag leaves no trace.
  let resumed: { state: ResumeState; tensors: Awaited<ReturnType<typeof loadCheckpoint>> } | null = null;
  if (opts.resume) {
    if (!existsSync(paths.last) || !existsSync(paths.state)) throw new Error(`${dir}: nothing to resume (no last.safetensors / resume.safetensors)`);
    const st = await loadCheckpoint(paths.state);
    resumed = { state: JSON.parse(st.metadata.resume) as ResumeState, tensors: st };
    const done = resumed.state.step;
    if (done > total) throw new Error(`${dir} has trained ${done} steps already; a schedule of ${total} steps would end before that`);
    if (done === total) {
      log(`${dir} is complete: ${done} of ${total} steps trained. To train longer, resume with a larger --epochs or --steps.`);
      return { steps: done, losses: [], bestPsnr: resumed.state.bestPsnr, runDir: dir, interrupted: null, complete: true };
    }
  }
  const valPairs = validationPairs(cfg);
  const backend = await createBackend(cfg.backend, log);
  const dirExisted = existsSync(dir);
  let step = 0;
  let parts: TrainingParts | null = null;
  const signals = new StopSignals();
  const losses: number[] = [];
  let bestPsnr: number | null = null;
  let progress: Progress | null = null;
  try {
    log(`backend: ${backend.description}`);
    parts = await buildTrainingParts(cfg, backend);
    const { model, distiller, params, optimizer } = parts;
    const colour = model.imageChannels === 3 ? "rgb" : "y";
    const sampler = createSampler({ folders: cfg.train, scale: cfg.scale, patchSize: cfg.patch, batchSize: cfg.batch, seed: cfg.seed, colour, warn: log });

    let seconds = 0;
    if (resumed) {
      const { state, tensors: st } = resumed;
      await model.loadStateDict((await loadCheckpoint(paths.last)).tensors);
      const buffers = params.map((_, i) => ["m", "v"].map((k) => st.tensors.get(`optimizer.${i}.${k}`)?.data).filter((b): b is Float32Array => !!b));
      optimizer.loadStateDict({ step: state.step, lr: Number(st.metadata.lr), buffers });
      sampler.restore(state.sampler);
      await distiller?.load(st.tensors);
      step = state.step;
      bestPsnr = state.bestPsnr;
      seconds = state.seconds ?? 0;
      // what was logged after the checkpoint is trained (and logged) again
      truncateLog(paths.metrics, step);
      truncateLog(paths.health, step);
      log(`resumed ${dir} at step ${step} of ${total}`);
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(paths.config, JSON.stringify(cfg, null, 2) + "\n");
    recordSession(paths.sessions, { step, backend: backend.description });

    const epochOf = (s: number) => Math.floor(s / cfg.itersPerEpoch);
    const lrAt = (s: number) => cosineAnnealingLr(cfg.lr, cfg.lrMin, epochOf(s), cfg.epochs);
    const health = new HealthLog(backend);
    const sessionStart = performance.now();
    let lastSave = performance.now();
    const trainedSeconds = () => seconds + (performance.now() - sessionStart) / 1000;

    const saveAll = async () => {
      const meta = { step: String(step), epoch: String(epochOf(step)), config: JSON.stringify(cfg) };
      await saveModel(paths.last, model, meta);
      const opt = await optimizer.stateDict();
      const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
      opt.buffers.forEach((bufs, i) => bufs.forEach((b, k) => tensors.set(`optimizer.${i}.${k ? "v" : "m"}`, { shape: [b.length], data: b })));
      for (const [name, t] of (await distiller?.state()) ?? []) tensors.set(name, t);
      const resume: ResumeState = { step, bestPsnr, sampler: sampler.state(), seconds: trainedSeconds() };
      await saveCheckpoint(paths.state, tensors, { resume: JSON.stringify(resume), lr: String(optimizer.lr) });
      appendFileSync(paths.health, JSON.stringify(health.row(step)) + "\n");
      lastSave = performance.now();
    };

    progress = new Progress(total, log);
    const started = step;
    // what the loop does once `s` steps are done: validate, save, stop (signals and the clock as seen now)
    const endOfEpochAt = (s: number) => s % cfg.itersPerEpoch === 0 || s === total;
    const stopWanted = (s: number) => signals.received !== null || (opts.stopAfter !== undefined && s - started >= opts.stopAfter);
    const saveDue = (s: number) => s % cfg.checkpointEvery === 0 || performance.now() - lastSave >= cfg.checkpointMinutes * 60_000;
    // Whether the loop stops at `s` steps to validate, save or stop: then nothing may be in flight behind step
    // s (its checkpoint would hold a later step's weights, its sampler state a later batch). Elsewhere the next
    // step is sampled, recorded and submitted before this one's losses are read, so that the host's part of a
    // step overlaps the device's work (bench/NOTES.md, entry 45).
    const pausesAt = (s: number) => s >= total || endOfEpochAt(s) || saveDue(s) || stopWanted(s);
    let launched = step;
    const launch = () => {
      const lr = lrAt(launched++);
      return launchStep(cfg, parts!, sampler.next(), backend, lr);
    };
    let current: LaunchedStep | null = step < total ? launch() : null;
    while (current) {
      const next = pausesAt(step + 1) ? null : launch();
      const values = await current.values;
      // let the event loop run once a step: on the CPU backend every await resolves as a microtask,
      // which would keep the signal handlers from ever being called
      await new Promise((resolve) => setImmediate(resolve));
      if (!Number.isFinite(values.loss)) {
        const good = existsSync(paths.last) ? `the last good checkpoint is ${paths.last}` : "no last good checkpoint was written yet";
        throw new Error(`loss became ${values.loss} at step ${step + 1}; stopped, ${good}`);
      }
      step++;
      losses.push(values.loss);
      const rate = progress.tick(step, values.loss);
      const t = Math.round(trainedSeconds() * 10) / 10;
      appendFileSync(paths.metrics, JSON.stringify({ step, epoch: epochOf(step - 1), lr: current.lr, ...values, it_s: Number.isNaN(rate) ? null : rate, t }) + "\n");
      current = next;
      if (current) continue; // not a pause: the decision was taken when the next step was launched
      const endOfEpoch = endOfEpochAt(step);
      if (endOfEpoch) {
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
      const stopHere = stopWanted(step);
      if (endOfEpoch || saveDue(step) || stopHere) await saveAll();
      if (signals.received) {
        log(`interrupted (${signals.received}): checkpoint written at step ${step}; continue with --resume ${dir}`);
        break;
      }
      if (stopHere) break;
      if (step < total) current = launch();
    }
    if (step === total && bestPsnr === null) await saveModel(paths.best, model, { step: String(step) });
  } catch (e) {
    // a new run that failed before its first step leaves no run directory behind
    if (!opts.resume && !dirExisted && step === 0) rmSync(dir, { recursive: true, force: true });
    throw e;
  } finally {
    signals.dispose();
    progress?.done();
    parts?.dispose();
    backend.destroy();
  }
  if (signals.received) process.exitCode = signals.exitCode;
  return { steps: step, losses, bestPsnr, runDir: dir, interrupted: signals.received, complete: step === total };
}

export function readMetrics(path: string): Record<string, number>[] {
  return readFileSync(path, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}
