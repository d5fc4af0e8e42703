// train/trainer.ts launches the next step before it reads the current one's losses (one step in flight) except
// where it pauses to validate, save or stop. On WebGPU, where the device really runs behind the host, that must
// change nothing: the same losses and learning rates as a loop that waits for every step, and checkpoints that
// hold exactly the weights of the step they name — at a stop (stopAfter), at checkpointEvery, at epoch ends.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cosineAnnealingLr } from "../../engine/index.ts";
import { createBackend } from "../../engine/init.ts";
import { createSampler } from "../../image/sampler.ts";
import { loadCheckpoint } from "../../train/checkpoint.ts";
import { defaultConfig, type TrainConfig, withDefaults } from "../../train/config.ts";
import { buildTrainingParts, readTerms, trainingStep } from "../../train/step.ts";
import { readMetrics, train } from "../../train/trainer.ts";
import { haveWebGpu } from "../webgpu.ts";
import { saveUntrainedTeacher, writeSet5Crops } from "./set5-crops.ts";

setDefaultTimeout(180_000);

const WEBGPU = await haveWebGpu("the pipelined training loop test");

let dir: string;
let data: string;
let teacherCkpt: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pipelined-loop-test-"));
  data = join(dir, "data");
  writeSet5Crops(data, [["baby", 200, 180], ["bird", 100, 90], ["butterfly", 80, 100], ["head", 120, 110]], 40);
  teacherCkpt = await saveUntrainedTeacher(join(dir, "teacher.safetensors"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The student (three loss terms): 2 epochs × 5 steps, a checkpoint every 3 steps — pauses at 3, 5, 6, 9, 10 and at the stop. */
function config(out: string): TrainConfig {
  return {
    ...defaultConfig("student"), patch: 16, batch: 2, lr: 2e-3, lrMin: 1e-4, epochs: 2, itersPerEpoch: 5, checkpointEvery: 3, seed: 5,
    backend: "webgpu", train: [data], val: data, valLimit: 1, out, teacher: teacherCkpt, lambdaVid: 1e-4,
  };
}

/** The same steps, each read back before the next is sampled: every term, the learning rate, and the weights after `keepAt` steps and at the end. */
async function waitingLoop(cfg: TrainConfig, keepAt: number) {
  const c = withDefaults(cfg);
  const backend = await createBackend("webgpu");
  const parts = await buildTrainingParts(c, backend);
  try {
    const sampler = createSampler({ folders: c.train, scale: c.scale, patchSize: c.patch, batchSize: c.batch, seed: c.seed, colour: "y" });
    const rows: Record<string, number>[] = [];
    let kept: Map<string, { data: Float32Array }> | null = null;
    for (let s = 0; s < c.epochs * c.itersPerEpoch; s++) {
      parts.optimizer.lr = cosineAnnealingLr(c.lr, c.lrMin, Math.floor(s / c.itersPerEpoch), c.epochs);
      rows.push({ lr: parts.optimizer.lr, ...(await readTerms(trainingStep(c, parts, sampler.next(), backend))) });
      if (s + 1 === keepAt) kept = await parts.model.stateDict();
    }
    return { rows, kept: kept!, last: await parts.model.stateDict() };
  } finally {
    parts.dispose();
    backend.destroy();
  }
}

function expectSameWeights(saved: Map<string, { data: Float32Array }>, expected: Map<string, { data: Float32Array }>): void {
  expect([...saved.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, t] of expected) expect(Array.from(saved.get(name)!.data)).toEqual(Array.from(t.data));
}

describe.skipIf(!WEBGPU)("the training loop with one step in flight (WebGPU)", () => {
  test("logs what a loop that waits for every step computes, and checkpoints the weights of the step they name", async () => {
    const cfg = config(join(dir, "run"));
    const reference = await waitingLoop(cfg, 4);

    const first = await train(cfg, { log: () => {}, stopAfter: 4 });
    expect(first.steps).toBe(4);
    // the stop's checkpoint: the weights after step 4, not after a step launched behind it
    expectSameWeights((await loadCheckpoint(join(cfg.out, "last.safetensors"))).tensors, reference.kept);
    const resumed = await train(cfg, { log: () => {}, resume: true });
    expect(resumed.steps).toBe(10);

    const logged = readMetrics(join(cfg.out, "metrics.jsonl")).filter((r) => "loss" in r);
    expect(logged.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    logged.forEach((row, i) => {
      const want = reference.rows[i]!;
      for (const k of ["lr", "loss", "reconstruction", "distillation"]) expect([k, row[k]]).toEqual([k, want[k]]);
    });
    expectSameWeights((await loadCheckpoint(join(cfg.out, "last.safetensors"))).tensors, reference.last);
  });
});
