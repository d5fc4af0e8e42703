// The trainer on an RGB network (CARN-M): a teacher and a baseline train on RGB batches and validate on RGB
// images (the teacher reconstructing the HR image, the baseline upscaling the LR one), each scored on the Y of its
// output; the baseline's validation PSNR is what `eval` measures on the same images. CPU backend, small crops.

import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluateModel } from "../../train/evaluate-model.ts";
import { defaultConfig, type TrainConfig } from "../../train/config.ts";
import { readMetrics, train } from "../../train/trainer.ts";
import { writeSet5Crops } from "./set5-crops.ts";

setDefaultTimeout(300_000);
let dir: string, data: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rgb-training-"));
  data = writeSet5Crops(join(dir, "data"), [["baby", 200, 180], ["bird", 100, 90]], 24);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (mode: TrainConfig["mode"]): TrainConfig => ({
  ...defaultConfig(mode), arch: "carn-m", scale: 2, patch: 12, batch: 2, epochs: 1, itersPerEpoch: 2, seed: 1,
  backend: "cpu", train: [data], val: data, out: join(dir, mode),
});

const validation = (runDir: string) => readMetrics(join(runDir, "metrics.jsonl")).filter((r) => r.val_psnr !== undefined).map((r) => r.val_psnr!);

test("a CARN-M teacher trains on RGB batches and validates its RGB reconstruction", async () => {
  const r = await train(config("teacher"), { log: () => {} });
  expect(r.steps).toBe(2);
  const val = validation(r.runDir);
  expect(val.length).toBe(1);
  expect(Number.isFinite(val[0]!)).toBe(true);
});

test("a CARN-M baseline validates on RGB images as `eval` scores it", async () => {
  const r = await train(config("baseline"), { log: () => {} });
  const [val] = validation(r.runDir);
  const [set] = await evaluateModel(join(r.runDir, "last.safetensors"), [data], 2, "cpu", undefined, () => {});
  // eval rounds the prediction to 8 bits before scoring; the trainer's validation does not
  expect(Math.abs(val! - set!.psnr)).toBeLessThan(0.05);
});
