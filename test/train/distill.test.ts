// The student's ways of learning from its teacher (train/distill.ts) in the real training loop, on the CPU
// backend with a few small crops: each choice logs its terms and is recorded in config.json and the checkpoint
// header; the FitNets regressor lives in resume.safetensors (a resume is exact) and never in the exported
// student; --init random really starts elsewhere; a teacher without the imitation loss trains on reconstruction.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCheckpoint } from "../../train/checkpoint.ts";
import { defaultConfig, type TrainConfig } from "../../train/config.ts";
import { readMetrics, train } from "../../train/trainer.ts";
import { saveUntrainedTeacher, writeSet5Crops } from "./set5-crops.ts";

setDefaultTimeout(300_000);
let dir: string, data: string, teacherCkpt: string;
const quiet = () => {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "distill-test-"));
  data = join(dir, "data");
  writeSet5Crops(data, [["baby", 200, 180], ["bird", 100, 90], ["head", 120, 110]], 40);
  teacherCkpt = await saveUntrainedTeacher(join(dir, "teacher.safetensors"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const student = (out: string, over: Partial<TrainConfig>): TrainConfig => ({
  ...defaultConfig("student"), patch: 16, batch: 2, epochs: 2, itersPerEpoch: 3, seed: 3, backend: "cpu", train: [data], val: null,
  out: join(dir, out), teacher: teacherCkpt, lambdaDistill: 0.5, ...over,
});

describe("--distill", () => {
  for (const distill of ["vid", "output", "hint", "none"] as const) {
    test(`${distill}: trains, logs its terms, and is recorded in config.json and the checkpoint header`, async () => {
      const cfg = student(`d-${distill}`, { distill });
      const r = await train(cfg, { log: quiet });
      expect(r.steps).toBe(6);
      const rows = readMetrics(join(r.runDir, "metrics.jsonl")).filter((row) => row.loss !== undefined);
      for (const row of rows) {
        expect(Number.isFinite(row.loss)).toBe(true);
        if (distill === "none") {
          expect("distillation" in row).toBe(false);
          expect(row.loss).toBe(row.reconstruction);
        } else {
          expect(Number.isFinite(row.distillation)).toBe(true);
          const lambda = distill === "vid" ? cfg.lambdaVid : cfg.lambdaDistill;
          expect(Math.abs(row.loss - (row.reconstruction + lambda * row.distillation))).toBeLessThan(1e-5 * Math.abs(row.loss) + 1e-7);
        }
      }
      expect(JSON.parse(readFileSync(join(r.runDir, "config.json"), "utf8"))).toMatchObject({ distill, init: "teacher" });
      const last = await loadCheckpoint(join(r.runDir, "last.safetensors"));
      expect(JSON.parse(last.metadata.config)).toMatchObject({ distill, init: "teacher" });
      // the regressor is optimizer-side state: in resume.safetensors, never in the exported student
      const state = await loadCheckpoint(join(r.runDir, "resume.safetensors"));
      expect(state.tensors.has("hint_regressor.weight")).toBe(distill === "hint");
      expect([...last.tensors.keys()].some((k) => k.startsWith("hint_regressor."))).toBe(false);
    });
  }

  test("hint: stopped after 4 of 6 steps and resumed, the losses equal an uninterrupted run's", async () => {
    const full = await train(student("hint-full", { distill: "hint" }), { log: quiet });
    const cfg = student("hint-split", { distill: "hint" });
    const first = await train(cfg, { log: quiet, stopAfter: 4 });
    const second = await train(cfg, { log: quiet, resume: true });
    expect([...first.losses, ...second.losses]).toEqual(full.losses);
  });

  test("--init random starts away from the teacher's decoder, --init teacher from it; none + random needs no teacher", async () => {
    const teacher = (await loadCheckpoint(teacherCkpt)).tensors.get("backbone.network.feature_extraction.0.0.weight")!.data;
    const firstLayer = async (init: "teacher" | "random", teacherPath: string | null) => {
      const r = await train(student(`init-${init}`, { distill: "none", init, epochs: 1, itersPerEpoch: 1, teacher: teacherPath }), { log: quiet });
      return (await loadCheckpoint(join(r.runDir, "last.safetensors"))).tensors.get("backbone.network.feature_extraction.0.0.weight")!.data;
    };
    const maxDiff = (a: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - teacher[i])), 0);
    // one Adam step moves each weight by about the learning rate (1e-3)
    expect(maxDiff(await firstLayer("teacher", teacherCkpt))).toBeLessThan(2e-3);
    expect(maxDiff(await firstLayer("random", null))).toBeGreaterThan(2e-2);
  });

  test("bad choices are refused by name", async () => {
    await expect(train(student("bad1", { distill: "soft" as "vid" }), { log: quiet })).rejects.toThrow("--distill must be vid, output, hint, none, got soft");
    await expect(train(student("bad2", { distill: "output", teacher: null }), { log: quiet })).rejects.toThrow("the student needs --teacher CKPT (to distil with --distill output)");
  });
});

test("a teacher with --lambda-imitation 0 trains on reconstruction alone, and logs the imitation term", async () => {
  const cfg: TrainConfig = { ...defaultConfig("teacher"), patch: 16, batch: 2, epochs: 1, itersPerEpoch: 3, backend: "cpu", train: [data], out: join(dir, "teacher-free"), lambdaImitation: 0 };
  const r = await train(cfg, { log: quiet });
  const rows = readMetrics(join(r.runDir, "metrics.jsonl")).filter((row) => row.loss !== undefined);
  expect(rows).toHaveLength(3);
  for (const row of rows) {
    expect(row.loss).toBe(row.reconstruction);
    expect(row.imitation).toBeGreaterThan(0);
  }
  expect(JSON.parse(readFileSync(join(r.runDir, "config.json"), "utf8")).lambdaImitation).toBe(0);
});
