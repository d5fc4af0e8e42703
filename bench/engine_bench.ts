// The engine's side of bench/run.ts: runs the canonical workloads (B0–B3 and the loops L0–L3, see
// bench/workloads.ts) on our engine and prints one JSON line per workload, like the peers in bench/peers/.
// Normally spawned by bench/run.ts; can be run alone:
//   bun bench/engine_bench.ts [--only B1,B3] [--runs 5] [--warmup 2] [--backend webgpu|cpu] [--serve]
//                             [--data DIR (L0–L2)] [--photo PATH (L3)]

import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Adam, l1Loss, noGrad, Tensor, tidy } from "../engine/index.ts";
import { readImage } from "../image/decode.ts";
import { writeImage } from "../image/encode.ts";
import { defaultTile, upscaleRows } from "../infer/upscale.ts";
import { studentLoss, teacherLoss } from "../losses/pisr.ts";
import { PisrModel } from "../models/pisr.ts";
import { ensurePhoto } from "./lib/photo.ts";
import { createTrainIteration } from "./lib/train-iteration.ts";
import { randomArray } from "./lib/util.ts";
import { parseWorkerArgs, W } from "./workloads.ts";
import { emitMeta, openWorkerBackend, type Prepared, runWorkloads } from "./lib/worker.ts";

const args = parseWorkerArgs(process.argv.slice(2), { backend: "webgpu" });
const backendName = args.backend;

const { be, description, destroy } = await openWorkerBackend(backendName);
emitMeta(backendName, description);

const ROOT = join(import.meta.dir, "..");
const LOOP_MODES = { L0: "teacher", L1: "baseline", L2: "student" } as const;

const S = W.scale;
const opts = { backend: be };
const input = (shape: number[], seed: number) => Tensor.fromArray(randomArray(shape.reduce((a, b) => a * b, 1), seed, 0, 1), shape, opts);

async function prepare(name: string): Promise<Prepared> {
  if (name in LOOP_MODES) return prepareLoop(name as keyof typeof LOOP_MODES);
  if (name === "L3") return prepareUpscale();
  const { batch: B, lrPatch: P } = W.train;
  const lrShape = [B, 1, P, P], hrShape = [B, 1, P * S, P * S];
  if (name === "B1") {
    const model = new PisrModel("baseline", { scale: S }, opts);
    const opt = new Adam(model.parameters());
    const lr = input(lrShape, 1), hr = input(hrShape, 2);
    return {
      step: trainStep(opt, () => l1Loss(model.forward(lr), hr)),
      dispose: () => [lr, hr, ...model.parameters()].forEach((t) => t.dispose()),
    };
  }
  if (name === "B0") {
    const model = new PisrModel("teacher", { scale: S }, opts);
    const opt = new Adam(model.parameters());
    const lr = input(lrShape, 1), hr = input(hrShape, 2);
    return {
      step: trainStep(opt, () => {
        const f = model.features(hr);
        return teacherLoss(f.hr, hr, f.encoder!, lr).loss;
      }),
      dispose: () => [lr, hr, ...model.parameters()].forEach((t) => t.dispose()),
    };
  }
  if (name === "B2") {
    const teacher = new PisrModel("teacher", { scale: S }, opts);
    const student = new PisrModel("student", { scale: S }, opts);
    const opt = new Adam(student.parameters());
    const lr = input(lrShape, 1), hr = input(hrShape, 2);
    return {
      step: trainStep(opt, () => {
        const target = noGrad(() => teacher.features(hr).distilled);
        const f = student.features(lr);
        const { mu, scale } = student.vid!.estimate(f.distilled);
        return studentLoss(f.hr, hr, mu, scale, target, { pdf: "laplace" }).loss;
      }),
      dispose: () => [lr, hr, ...teacher.parameters(), ...student.parameters()].forEach((t) => t.dispose()),
    };
  }
  if (name === "B3") {
    const model = new PisrModel("baseline", { scale: S }, opts);
    const x = input([1, 1, W.infer.height, W.infer.width], 3);
    return {
      step: async () => {
        const y = tidy(() => noGrad(() => model.forward(x)));
        await y.toArray(); // the whole 1920×1080 image comes back
        y.dispose();
      },
      dispose: () => [x, ...model.parameters()].forEach((t) => t.dispose()),
    };
  }
  throw new Error(`unknown workload ${name}`);
}

/**
 * L0–L2: train/trainer.ts's iteration (bench/lib/train-iteration.ts) at ×4, HR patch 96, batch 16, the recipe's
 * defaults otherwise, on the training images with every one decoded beforehand (as after a run's first epoch).
 */
async function prepareLoop(name: keyof typeof LOOP_MODES): Promise<Prepared> {
  const t0 = performance.now();
  const data = args.data ?? resolve(ROOT, W.loop.data);
  const it = await createTrainIteration(
    { mode: LOOP_MODES[name], scale: S, patch: W.loop.hrPatch, batch: W.loop.batch, train: [data] },
    be, { preload: true, warn: (m) => console.error(m) },
  );
  return {
    step: async () => {
      await it.run(W.loop.window);
    },
    iterations: W.loop.window,
    note: `${W.loop.window} iterations a step`,
    dispose: () => it.dispose(),
    about: { data, images: it.sampler.imageCount, parameters: it.parameterCount, prepare_ms: performance.now() - t0 },
  };
}

/**
 * L3: what `upscale --input PHOTO --output OUT.png` does with a ×4 baseline (train/upscale-command.ts, minus its
 * argument checks and messages): read and decode the photo, upscaleRows (YCbCr, Y through the network in the
 * device's default tiles, Cb/Cr by MATLAB bicubic, back to RGB, row by row into the encoder), encode the PNG and
 * write it. Random weights.
 */
async function prepareUpscale(): Promise<Prepared> {
  const photo = args.photo ?? ensurePhoto();
  const model = new PisrModel("baseline", { scale: S }, opts);
  const out = join(tmpdir(), `pisr-bench-l3-${process.pid}.png`);
  let size = "";
  const margin = model.tileMargin;
  return {
    step: async () => {
      const img = readImage(photo);
      const big = await upscaleRows(model, be, img);
      writeImage(out, big);
      size = `${img.width}×${img.height} → ${big.width}×${big.height}`;
    },
    dispose: () => {
      model.dispose();
      rmSync(out, { force: true });
    },
    get about() {
      return { photo, size, tile: defaultTile(be, model.activationsPerLrPixel, margin), margin };
    },
  };
}

function trainStep(opt: Adam, lossOf: () => Tensor): () => Promise<void> {
  return async () => {
    const loss = opt.minimize(lossOf);
    const v = await loss.item(); // the loss value comes back: every queued dispatch has run
    loss.dispose();
    if (!Number.isFinite(v)) throw new Error(`loss is ${v}`);
  };
}

await runWorkloads(args, backendName, prepare);
destroy();
