// Exact resume (train/trainer.ts): a run interrupted after a few steps and resumed with { resume: true } must
// continue with the same losses as an uninterrupted run (weights, Adam moments, sampler position, learning-rate
// schedule and best PSNR all restored). Also the guard rails: resuming where there is no run, starting over a
// run, and the NaN abort.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { haveWebGpu } from "../webgpu.ts";
import { loadCheckpoint } from "../../train/checkpoint.ts";
import { defaultConfig, type TrainConfig } from "../../train/config.ts";
import { readMetrics, train } from "../../train/trainer.ts";
import { saveUntrainedTeacher, writeSet5Crops } from "./set5-crops.ts";

setDefaultTimeout(120_000);

const WEBGPU = await haveWebGpu("the WebGPU resume test");

let dir: string;
let data: string;
let teacherCkpt: string;
const quiet = () => {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "resume-test-"));
  data = join(dir, "data");
  // four small crops of Set5 (40×40 HR → 20×20 LR)
  writeSet5Crops(data, [["baby", 200, 180], ["bird", 100, 90], ["butterfly", 80, 100], ["head", 120, 110]], 40);
  // an untrained teacher is enough to distil from
  teacherCkpt = await saveUntrainedTeacher(join(dir, "teacher.safetensors"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 4 epochs × 5 steps: the cosine learning rate changes at every epoch; validation after every epoch. */
function config(out: string, backend: "cpu" | "webgpu"): TrainConfig {
  return {
    ...defaultConfig("student"), patch: 16, batch: 2, lr: 2e-3, lrMin: 1e-4, epochs: 4, itersPerEpoch: 5, seed: 7, backend,
    train: [data], val: data, valLimit: 2, out, teacher: teacherCkpt, lambdaVid: 1e-4,
  };
}

const withoutTiming = (rows: Record<string, number>[]) => rows.map(({ it_s: _, t: _t, ...rest }) => rest);

function relDiff(a: number, b: number): number {
  return a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

async function interruptedEqualsUninterrupted(backend: "cpu" | "webgpu", tol: number): Promise<void> {
  const full = await train(config(join(dir, `${backend}-full`), backend), { log: quiet });
  expect(full.steps).toBe(20);
  expect(full.losses).toHaveLength(20);

  // stopped in the middle of the second epoch (a stop at an epoch end is the easier case), then resumed
  const cfg = config(join(dir, `${backend}-split`), backend);
  const first = await train(cfg, { log: quiet, stopAfter: 7 });
  expect(first.steps).toBe(7);
  const lines: string[] = [];
  const second = await train(cfg, { resume: true, log: (l) => lines.push(l) });
  expect(lines.join("\n")).toContain("resumed");
  expect(second.steps).toBe(20);
  expect(second.losses).toHaveLength(13);

  const resumed = [...first.losses, ...second.losses];
  const worst = Math.max(...resumed.map((l, i) => relDiff(l, full.losses[i])));
  if (!(worst <= tol)) {
    throw new Error(`${backend}: resumed losses differ from the uninterrupted run (worst relative difference ${worst}):\n${resumed.join(" ")}\nvs\n${full.losses.join(" ")}`);
  }
  if (tol === 0) expect(resumed).toEqual(full.losses);
  // the losses really change from step to step (the comparison is not vacuous)
  expect(new Set(full.losses.slice(7)).size).toBe(13);

  // metrics.jsonl: the same rows (every loss term, lr, validation PSNR), apart from the it/s timing
  const a = withoutTiming(readMetrics(join(full.runDir, "metrics.jsonl")));
  const b = withoutTiming(readMetrics(join(second.runDir, "metrics.jsonl")));
  expect(b.length).toBe(a.length);
  expect(a.filter((r) => "val_psnr" in r)).toHaveLength(4);
  b.forEach((row, i) => {
    expect(Object.keys(row)).toEqual(Object.keys(a[i]));
    for (const k of Object.keys(row)) {
      if (relDiff(row[k], a[i][k]) > tol) throw new Error(`${backend}: metrics row ${i} "${k}": ${row[k]} vs ${a[i][k]}`);
    }
  });
  if (full.bestPsnr === null || second.bestPsnr === null) throw new Error("no best PSNR recorded");
  expect(relDiff(second.bestPsnr, full.bestPsnr)).toBeLessThanOrEqual(tol);

  // and the final weights agree
  const wa = (await loadCheckpoint(join(full.runDir, "last.safetensors"))).tensors;
  const wb = (await loadCheckpoint(join(second.runDir, "last.safetensors"))).tensors;
  expect([...wb.keys()]).toEqual([...wa.keys()]);
  for (const [name, t] of wa) {
    const u = wb.get(name)!.data;
    for (let i = 0; i < u.length; i++) {
      if (!(Math.abs(u[i] - t.data[i]) <= tol * (1 + Math.abs(t.data[i])))) throw new Error(`${backend}: final weight ${name}[${i}] ${u[i]} vs ${t.data[i]}`);
    }
  }
}

describe("stop after 7 of 20 steps, then resume: same losses as an uninterrupted run", () => {
  test("CPU backend (bit-exact)", () => interruptedEqualsUninterrupted("cpu", 0));
  (WEBGPU ? test : test.skip)("WebGPU backend (≤ 1e-6 relative)", () => interruptedEqualsUninterrupted("webgpu", 1e-6));
});

describe("guard rails", () => {
  test("resuming a directory without a run fails clearly and leaves nothing behind", async () => {
    const empty = join(dir, "empty-run");
    await expect(train(config(empty, "cpu"), { resume: true, log: quiet })).rejects.toThrow(/empty-run: nothing to resume \(no last\.safetensors/);
    expect(existsSync(join(empty, "config.json"))).toBe(false);
  });

  test("a new run in a directory that already holds one is refused with a hint to --resume", async () => {
    const out = join(dir, "taken");
    const cfg = { ...config(out, "cpu"), epochs: 1, itersPerEpoch: 1, val: null };
    await train(cfg, { log: quiet });
    const before = readFileSync(join(out, "metrics.jsonl"), "utf8");
    await expect(train({ ...cfg, lr: 1e-3 }, { log: quiet })).rejects.toThrow(/taken already holds a run; use --resume .*taken or another --out/);
    // the existing run is untouched
    expect(readFileSync(join(out, "metrics.jsonl"), "utf8")).toBe(before);
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).lr).toBe(cfg.lr);
  });

  test("a diverging run (lr 1e30) stops with an error naming the step and the last good checkpoint", async () => {
    // Adam's first step moves every weight by ~lr, so the second forward pass overflows to ±Inf/NaN.
    // One step per epoch: the checkpoint written after step 1 is the last good one.
    const out = join(dir, "diverge");
    const cfg: TrainConfig = { ...defaultConfig("baseline"), patch: 16, batch: 2, lr: 1e30, lrMin: 1e30, epochs: 5, itersPerEpoch: 1, backend: "cpu", train: [data], out };
    let err: Error | undefined;
    await train(cfg, { log: quiet }).catch((e) => (err = e));
    expect(err?.message).toMatch(/^loss became (NaN|Infinity|-Infinity) at step 2; stopped, the last good checkpoint is .*last\.safetensors$/);
    const ckpt = await loadCheckpoint(join(out, "last.safetensors"));
    expect(ckpt.metadata.step).toBe("1");
    for (const t of ckpt.tensors.values()) expect(t.data.every(Number.isFinite)).toBe(true);
    // the log has only the finite step
    expect(readMetrics(join(out, "metrics.jsonl")).map((r) => r.step)).toEqual([1]);
  });

  test("diverging before the first checkpoint says that there is none yet", async () => {
    const out = join(dir, "diverge-early");
    const cfg: TrainConfig = { ...defaultConfig("baseline"), patch: 16, batch: 2, lr: 1e30, lrMin: 1e30, epochs: 1, itersPerEpoch: 5, backend: "cpu", train: [data], out };
    let err: Error | undefined;
    await train(cfg, { log: quiet }).catch((e) => (err = e));
    expect(err?.message).toMatch(/at step 2; stopped.*no last good checkpoint/);
    expect(existsSync(join(out, "last.safetensors"))).toBe(false);
  });
});
