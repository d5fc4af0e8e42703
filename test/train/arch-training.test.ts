// Every architecture trains as a PISR teacher and student through the trainer's own code (train/step.ts: the
// parts it builds, the step it takes, the sampler it feeds — RGB for CARN): 50 steps each on WebGPU from small
// crops of Set5, where every loss term falls (mean of the last 10 steps below the first 10), and the first steps
// agree with the CPU reference (same initial weights, same batches): the first step's terms (a forward pass) to
// 1e-5 and its gradient of every parameter to 1e-4 (relative, over the tensor); the terms of the next steps to
// 5e-3 only, because Adam turns float-rounding differences of near-zero gradients into whole ±lr steps.
// The student starts from the trained teacher's decoder and distils it with VID. λ_imitation is 1 here, not 1e-4,
// so that the imitation term is driven within 50 steps. HR crops of 12 (LR 6) keep VDSR, which works at HR
// size, to seconds. WebGPU is required in CI and skipped elsewhere without an adapter.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend } from "../../engine/backend.ts";
import { CpuBackend } from "../../engine/index.ts";
import { WebGpuBackend } from "../../engine/webgpu/backend.ts";
import { createSampler } from "../../image/sampler.ts";
import { ARCHITECTURES, type ArchName } from "../../models/registry.ts";
import { defaultConfig, type TrainConfig } from "../../train/config.ts";
import { saveModel } from "../../train/models-io.ts";
import { buildTrainingParts, readTerms, trainingStep } from "../../train/step.ts";
import { relErr } from "../engine/util.ts";
import { haveWebGpu } from "../webgpu.ts";
import { writeSet5Crops } from "./set5-crops.ts";

setDefaultTimeout(600_000);
const gpuSkip = !(await haveWebGpu("training every architecture on WebGPU"));
const STEPS = 50, COMPARED = 4;
let dir: string, data: string, gpu: WebGpuBackend | undefined;
const cpu = new CpuBackend("float32");

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "arch-training-"));
  data = join(dir, "data");
  writeSet5Crops(data, [["baby", 200, 180], ["bird", 100, 90], ["butterfly", 90, 100]], 24);
  if (!gpuSkip) gpu = await WebGpuBackend.create();
});
afterAll(() => {
  gpu?.destroy();
  cpu.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const config = (arch: ArchName, mode: TrainConfig["mode"], over: Partial<TrainConfig> = {}): TrainConfig => ({
  ...defaultConfig(mode), arch, scale: 2, patch: 12, batch: 2, seed: 1, train: [data], out: join(dir, `${arch}-${mode}`),
  lambdaImitation: 1, ...over,
});

interface Run {
  rows: Record<string, number>[];
  /** every trained parameter's gradient at the first step */
  firstGradients: Float32Array[];
}

/** `steps` steps of `cfg` on `backend`: every term of every step; the trained network saved to `save` if given. */
async function run(cfg: TrainConfig, backend: Backend, steps: number, save?: string): Promise<Run> {
  const parts = await buildTrainingParts(cfg, backend);
  try {
    const colour = parts.model.imageChannels === 3 ? "rgb" : "y";
    const sampler = createSampler({ folders: cfg.train, scale: cfg.scale, patchSize: cfg.patch, batchSize: cfg.batch, seed: cfg.seed, colour, warn: () => {} });
    const rows: Record<string, number>[] = [];
    let firstGradients: Float32Array[] = [];
    for (let i = 0; i < steps; i++) {
      const batch = sampler.next();
      expect(batch.lrShape[1]).toBe(parts.model.imageChannels);
      rows.push(await readTerms(trainingStep(cfg, parts, batch, backend)));
      // the step leaves its gradients on the parameters until the next step zeroes them
      if (i === 0) firstGradients = await Promise.all(parts.params.map(async (p) => Float32Array.from(await p.grad!.toArray())));
    }
    if (save) await saveModel(save, parts.model);
    return { rows, firstGradients };
  } finally {
    parts.dispose();
  }
}

function expectFalling(rows: Record<string, number>[], what: string): void {
  const mean = (from: number, to: number, k: string) => rows.slice(from, to).reduce((a, r) => a + r[k]!, 0) / (to - from);
  for (const k of Object.keys(rows[0]!)) {
    for (const r of rows) expect(Number.isFinite(r[k]), `${what} ${k}`).toBe(true);
    expect(mean(STEPS - 10, STEPS, k), `${what}: ${k}, last 10 steps vs first 10`).toBeLessThan(mean(0, 10, k));
  }
}

function expectAgreement(onGpu: Run, onCpu: Run, what: string): void {
  expect(onCpu.rows.length).toBe(COMPARED);
  onCpu.rows.forEach((row, i) => {
    for (const [k, v] of Object.entries(row)) {
      const rel = Math.abs(onGpu.rows[i]![k]! - v) / Math.max(Math.abs(v), 1e-6);
      expect(rel, `${what} ${k} at step ${i + 1}: WebGPU ${onGpu.rows[i]![k]} vs CPU ${v}`).toBeLessThan(i === 0 ? 1e-5 : 5e-3);
    }
  });
  expect(onGpu.firstGradients.length).toBe(onCpu.firstGradients.length);
  onCpu.firstGradients.forEach((g, k) => expect(relErr(onGpu.firstGradients[k]!, g), `${what}: gradient of parameter ${k} at step 1`).toBeLessThan(1e-4));
}

describe.each([...ARCHITECTURES])("%s", (arch) => {
  test.skipIf(gpuSkip)(`teacher then student (VID, from the teacher's decoder): ${STEPS} steps each, every term falls, WebGPU = CPU`, async () => {
    const teacherPath = join(dir, `${arch}-teacher.safetensors`);
    const teacherCfg = config(arch, "teacher");
    const teacherRun = await run(teacherCfg, gpu!, STEPS, teacherPath);
    expect(Object.keys(teacherRun.rows[0]!).sort()).toEqual(["imitation", "loss", "reconstruction"]);
    expectFalling(teacherRun.rows, `${arch} teacher`);
    expectAgreement(teacherRun, await run(teacherCfg, cpu, COMPARED), `${arch} teacher`);

    const studentCfg = config(arch, "student", { teacher: teacherPath, distill: "vid", init: "teacher" });
    const studentRun = await run(studentCfg, gpu!, STEPS);
    expect(Object.keys(studentRun.rows[0]!).sort()).toEqual(["distillation", "loss", "reconstruction"]);
    expectFalling(studentRun.rows, `${arch} student`);
    expectAgreement(studentRun, await run(studentCfg, cpu, COMPARED), `${arch} student`);
  });
});
