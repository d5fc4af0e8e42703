// The PISR pipeline end to end on a few small crops: a 30-step teacher, a 30-step student initialised from the
// teacher's last checkpoint, evaluation of the student; every logged loss term falls, the run directories
// hold what they promise, the student starts from the teacher's decoder, the teacher stays frozen. On WebGPU
// (required in CI, skipped with a message elsewhere); a short baseline run on the CPU backend always runs.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBackend } from "../../engine/init.ts";
import { l1Loss, noGrad, Tensor, tidy } from "../../engine/index.ts";
import { haveWebGpu } from "../webgpu.ts";
import { createSampler } from "../../image/sampler.ts";
import { PisrModel } from "../../models/pisr.ts";
import { loadCheckpoint } from "../../train/checkpoint.ts";
import { evaluateModel, formatTable } from "../../train/evaluate-model.ts";
import { defaultConfig, type TrainConfig } from "../../train/config.ts";
import { readMetrics, train, type TrainResult } from "../../train/trainer.ts";
import { writeSet5Crops } from "./set5-crops.ts";

setDefaultTimeout(120_000);

const WEBGPU = await haveWebGpu("the WebGPU teacher → student → eval pipeline test");
const gpuTest = WEBGPU ? test : test.skip;

const STEPS = 30;
const SET = "minibench";
let dir: string;
let data: string;
const quiet = () => {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pipeline-test-"));
  data = join(dir, SET);
  // four 48×48 crops of Set5 (24×24 LR): training images, validation set and benchmark set at once
  writeSet5Crops(data, ["baby", "bird", "butterfly", "head"].map((name) => [name, 60, 60] as const), 48);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A high, constant learning rate so that 30 steps clearly reduce every term; imitation and VID weighted up so they move. */
function config(mode: TrainConfig["mode"], backend: "cpu" | "webgpu", extra: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...defaultConfig(mode), patch: 16, batch: 4, lr: 3e-3, lrMin: 3e-3, epochs: 1, itersPerEpoch: STEPS, seed: 0, backend,
    train: [data], val: data, valLimit: 4, out: join(dir, mode), lambdaImitation: 0.1, lambdaVid: 1e-4, ...extra,
  };
}

function expectEveryTermFalls(run: TrainResult, terms: string[]): void {
  const rows = readMetrics(join(run.runDir, "metrics.jsonl")).filter((r) => "loss" in r);
  expect(rows.map((r) => r.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
  expect(rows.map((r) => r.loss)).toEqual(run.losses);
  const mean = (xs: Record<string, number>[], k: string) => xs.reduce((s, r) => s + r[k], 0) / xs.length;
  for (const k of terms) {
    for (const r of rows) expect(Number.isFinite(r[k])).toBe(true);
    const first = mean(rows.slice(0, 5), k), last = mean(rows.slice(-5), k);
    if (!(last < 0.99 * first)) throw new Error(`${run.runDir}: "${k}" did not fall: mean of steps 1–5 ${first}, of steps ${STEPS - 4}–${STEPS} ${last}`);
  }
}

function expectRunDir(run: TrainResult, architecture: string): void {
  for (const f of ["config.json", "metrics.jsonl", "last.safetensors", "best.safetensors", "resume.safetensors", "curves.svg"]) {
    expect(existsSync(join(run.runDir, f))).toBe(true);
  }
  expect(readFileSync(join(run.runDir, "curves.svg"), "utf8")).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  expect(JSON.parse(readFileSync(join(run.runDir, "config.json"), "utf8")).mode).toBe(architecture);
}

describe("teacher → student → eval (WebGPU)", () => {
  let teacher: TrainResult;
  let student: TrainResult;
  let teacherBytes: Buffer;
  const teacherCkpt = () => join(dir, "teacher", "last.safetensors");

  gpuTest("a 30-step teacher: loss, reconstruction and imitation fall", async () => {
    teacher = await train(config("teacher", "webgpu"), { log: quiet });
    expect(teacher.steps).toBe(STEPS);
    expectRunDir(teacher, "teacher");
    expectEveryTermFalls(teacher, ["loss", "reconstruction", "imitation"]);
    expect(Number.isFinite(teacher.bestPsnr)).toBe(true);
    teacherBytes = readFileSync(teacherCkpt());
  });

  gpuTest("a 30-step student from the teacher: loss, reconstruction and distillation fall; the teacher stays frozen", async () => {
    if (!teacher) throw new Error("the teacher run failed");
    student = await train(config("student", "webgpu", { teacher: teacherCkpt() }), { log: quiet });
    expect(student.steps).toBe(STEPS);
    expectRunDir(student, "student");
    expectEveryTermFalls(student, ["loss", "reconstruction", "distillation"]);
    // the teacher's checkpoint is byte for byte what it was
    expect(readFileSync(teacherCkpt()).equals(teacherBytes)).toBe(true);
  });

  gpuTest("the student's step 0 decoder is the teacher's (its first reconstruction loss is the teacher decoder's on that batch)", async () => {
    if (!student) throw new Error("the student run failed");
    const cfg = config("student", "webgpu", { teacher: teacherCkpt() });
    // the first batch the student trained on: the sampler is seeded from the config
    const batch = createSampler({ folders: cfg.train, scale: cfg.scale, patchSize: cfg.patch, batchSize: cfg.batch, seed: cfg.seed, warn: quiet }).next();
    // an FSRCNN carrying exactly the teacher's decoder weights (loaded by name, strictly: every layer present)
    const { tensors, metadata } = await loadCheckpoint(teacherCkpt());
    const decoder = new Map([...tensors].filter(([n]) => n.startsWith("backbone.network.") && !n.startsWith("backbone.network.encoder.")));
    const backend = await createBackend("webgpu");
    const fsrcnn = new PisrModel("baseline", JSON.parse(metadata.model_config), { backend });
    try {
      await fsrcnn.loadStateDict(decoder);
      const loss = tidy(() =>
        noGrad(() => l1Loss(fsrcnn.forward(Tensor.fromArray(batch.lr, batch.lrShape, { backend })), Tensor.fromArray(batch.hr, batch.hrShape, { backend }))));
      const expected = await loss.item();
      loss.dispose();
      const first = readMetrics(join(student.runDir, "metrics.jsonl"))[0];
      expect(first.step).toBe(1);
      expect(Math.abs(first.reconstruction - expected)).toBeLessThanOrEqual(1e-5 * expected);
      // …which is not what a fresh student would have scored
      const fresh = new PisrModel("student", { scale: 2 }, { seed: cfg.seed, backend });
      const freshLoss = tidy(() =>
        noGrad(() => l1Loss(fresh.forward(Tensor.fromArray(batch.lr, batch.lrShape, { backend })), Tensor.fromArray(batch.hr, batch.hrShape, { backend }))));
      expect(Math.abs((await freshLoss.item()) - expected)).toBeGreaterThan(1e-4);
      freshLoss.dispose();
      fresh.dispose();
    } finally {
      fsrcnn.dispose();
      backend.destroy();
    }
  });

  gpuTest("checkpoint headers hold the architecture, scale, model config and training config", async () => {
    if (!student) throw new Error("the student run failed");
    for (const [mode, run] of [["teacher", teacher], ["student", student]] as const) {
      const { metadata, tensors } = await loadCheckpoint(join(run.runDir, "last.safetensors"));
      expect(metadata.format).toBe("pisr-webgpu");
      expect(metadata.architecture).toBe(mode);
      expect(metadata.scale).toBe("2");
      expect(metadata.step).toBe(String(STEPS));
      expect(JSON.parse(metadata.model_config)).toMatchObject({ scale: 2 });
      const cfg = JSON.parse(metadata.config) as TrainConfig;
      expect(cfg).toMatchObject({ mode, scale: 2, patch: 16, batch: 4, itersPerEpoch: STEPS });
      if (mode === "student") expect(cfg.teacher).toBe(teacherCkpt());
      expect([...tensors.keys()].some((n) => n.startsWith("backbone.network.encoder."))).toBe(mode === "teacher");
      expect([...tensors.keys()].some((n) => n.startsWith("vid_module_dict."))).toBe(mode === "student");
      const best = await loadCheckpoint(join(run.runDir, "best.safetensors"));
      expect(Number(best.metadata.val_psnr)).toBeCloseTo(run.bestPsnr!, 6);
    }
  });

  gpuTest("eval: finite PSNR/SSIM per image and a table naming the set", async () => {
    if (!student) throw new Error("the student run failed");
    const results = await evaluateModel(join(student.runDir, "last.safetensors"), [data], 2, "webgpu");
    const bicubic = await evaluateModel("bicubic", [data], 2, "webgpu");
    expect(results).toHaveLength(1);
    expect(results[0].images).toHaveLength(4);
    for (const r of [results[0], ...results[0].images]) {
      expect(Number.isFinite(r.psnr)).toBe(true);
      expect(r.ssim).toBeGreaterThan(0);
      expect(r.ssim).toBeLessThanOrEqual(1);
    }
    // the PSNR on the same images as validation agrees with the trainer's own number
    expect(results[0].psnr).toBeCloseTo(student.bestPsnr!, 4);
    const table = formatTable([{ name: "bicubic", results: bicubic }, { name: "PISR student", results }]);
    expect(table).toContain(`| model | ${SET} |`);
    expect(table).toContain(`| PISR student | ${results[0].psnr.toFixed(2)} / ${results[0].ssim.toFixed(4)} |`);
    expect(table.split("\n")).toHaveLength(4);
  });
});

test("a 5-step baseline run (CPU backend)", async () => {
  const run = await train(config("baseline", "cpu", { itersPerEpoch: 5, val: null, batch: 2 }), { log: quiet });
  expect(run.steps).toBe(5);
  expect(run.losses).toHaveLength(5);
  expect(run.bestPsnr).toBeNull();
  for (const l of run.losses) expect(Number.isFinite(l) && l > 0).toBe(true);
  expectRunDir(run, "baseline");
  const rows = readMetrics(join(run.runDir, "metrics.jsonl"));
  expect(rows.every((r) => r.reconstruction === r.loss)).toBe(true);
  const { metadata, tensors } = await loadCheckpoint(join(run.runDir, "last.safetensors"));
  expect(metadata.architecture).toBe("baseline");
  expect([...tensors.keys()].every((n) => n.startsWith("backbone.network.") && !n.includes("encoder"))).toBe(true);
});
