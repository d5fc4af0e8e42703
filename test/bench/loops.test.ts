// The loop workloads of bench/run.ts (L0–L3: train/trainer.ts's iteration on real images, the upscale command on a
// photo): their names on every command line, their FLOPs, the iteration bench/lib/train-iteration.ts rebuilds
// (checked against train() itself), the L3 photo, and one real step of each side's worker over --serve.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensurePhoto } from "../../bench/lib/photo.ts";
import type { Worker } from "../../bench/lib/paired.ts";
import { oneServedStep } from "./served-step.ts";
import { createTrainIteration } from "../../bench/lib/train-iteration.ts";
import { DEFAULT_WORKLOADS, parseWorkerArgs, parseWorkloadList, W, workloadFlops } from "../../bench/workloads.ts";
import { CpuBackend } from "../../engine/cpu/backend.ts";
import { readImage, readImageInfo } from "../../image/decode.ts";
import { PisrModel } from "../../models/pisr.ts";
import { defaultConfig, type TrainConfig } from "../../train/config.ts";
import { saveModel } from "../../train/models-io.ts";
import { readMetrics, train } from "../../train/trainer.ts";
import { haveWebGpu } from "../webgpu.ts";

const ROOT = join(import.meta.dir, "../..");
const RUN = join(ROOT, "bench/run.ts");
const ENGINE = join(ROOT, "bench/engine_bench.ts");
const TORCH = join(ROOT, "bench/peers/torch_bench.py");
const PYTHON = "/usr/bin/python3";
const BSDS = join(ROOT, "../shared/data/train/bsds400");
/** the smallest real photo for L3's smoke steps: Set5's butterfly, 256×256 RGB */
const SMALL_PHOTO = join(ROOT, "../shared/data/benchmark/Set5/butterfly.png");
const haveData = existsSync(BSDS) && existsSync(SMALL_PHOTO);

let dir = "";
/** two real training images: the smallest folder a sampler of batch 16 runs on (it cycles through them) */
let data = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bench-loops-"));
  data = join(dir, "train");
  mkdirSync(data);
  if (haveData) for (const f of ["100007.jpg", "100039.jpg"]) copyFileSync(join(BSDS, f), join(data, f));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runBench(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = Bun.spawnSync([process.execPath, RUN, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("the L workloads on the command lines", () => {
  test("workload lists take L0–L3 (any case) beside the B ones; the default stays B0–B3", () => {
    expect(parseWorkloadList("L0,l1, L2,L3")).toEqual(["L0", "L1", "L2", "L3"]);
    expect(parseWorkloadList("B1,L1")).toEqual(["B1", "L1"]);
    expect(() => parseWorkloadList("L4")).toThrow('unknown workload "L4" (B0, B1, B2, B3, L0, L1, L2, L3)');
    expect(DEFAULT_WORKLOADS).toEqual(["B0", "B1", "B2", "B3"]);
    expect(parseWorkerArgs([], { backend: "webgpu" }).only).toEqual(["B0", "B1", "B2", "B3"]);
  });

  test("a worker takes --data (L0–L2) and --photo (L3), and serves one L workload", () => {
    const a = parseWorkerArgs(["--only", "L3", "--serve", "--photo", "/p.png", "--data", "/d"], { backend: "webgpu" });
    expect(a).toMatchObject({ only: ["L3"], serve: true, photo: "/p.png", data: "/d" });
    expect(parseWorkerArgs(["--only", "L1"], { backend: "cpu" })).toMatchObject({ data: null, photo: null });
    expect(() => parseWorkerArgs(["--only", "L1,L2", "--serve"], { backend: "webgpu" })).toThrow("exactly one workload");
  });

  test("bench/run.ts lists the loops in --help and refuses an unknown one before running anything", () => {
    const help = runBench(["--help"]);
    expect(help.code).toBe(0);
    for (const w of ["L0", "L1", "L2", "L3"]) expect(help.stdout).toContain(`  ${w}  `);
    expect(help.stdout).toContain("--only L0,L1,L2,L3");
    const bad = runBench(["--only", "L1,L7"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('unknown workload "L7"');
  });

  test("TF.js, which has no loops, is marked 'not implemented' for them (not failed), and the run ends well", () => {
    const out = join(dir, "run.json");
    const r = runBench(["--only", "L1", "--impls", "tfjs", "--out", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("| L1 | TF.js (WebGPU) | — | — | — | not implemented |");
    const json = JSON.parse(readFileSync(out, "utf8"));
    expect(json.failures).toEqual([]);
    expect(json.results).toEqual([]);
  });
});

describe("nominal FLOPs of the loops", () => {
  test("L0–L2 are B0–B2 at a quarter of the pixels (HR patch 96 instead of 192); L3 is B3's network on the photo", () => {
    expect(W.loop.hrPatch / W.scale).toBe(W.train.lrPatch / 2);
    for (const [l, b] of [["L0", "B0"], ["L1", "B1"], ["L2", "B2"]] as const) expect(4 * workloadFlops(l)).toBe(workloadFlops(b));
    expect(workloadFlops("L3", { width: W.infer.width, height: W.infer.height })).toBe(workloadFlops("B3"));
    const { width, height } = W.loop.photo;
    expect(workloadFlops("L3")).toBeCloseTo((workloadFlops("B3") * width * height) / (W.infer.width * W.infer.height), 0);
  });
});

describe.skipIf(!haveData)("the training iteration of bench/lib/train-iteration.ts", () => {
  // tiny: ×4, HR patch 16, batch 2, on the CPU reference (deterministic), two steps
  const base = (mode: TrainConfig["mode"], out: string): TrainConfig => ({
    ...defaultConfig(mode), scale: 4, patch: 16, batch: 2, epochs: 1, itersPerEpoch: 2, backend: "cpu", train: [data], out, seed: 3,
  });

  const TERMS = { baseline: ["loss", "reconstruction"], teacher: ["imitation", "loss", "reconstruction"], student: ["distillation", "loss", "reconstruction"] };

  for (const mode of ["baseline", "teacher", "student"] as const) {
    test(`${mode}: its first two steps give the loss terms train() logs for the same config`, async () => {
      const cfg = base(mode, join(dir, `run-${mode}`));
      if (mode === "student") {
        const teacherPath = join(dir, "teacher.safetensors");
        const be = new CpuBackend("float32");
        const t = new PisrModel("teacher", { scale: 4 }, { seed: 11, backend: be });
        await saveModel(teacherPath, t);
        t.dispose();
        cfg.teacher = teacherPath;
      }
      await train(cfg, { log: () => {} });
      const logged = readMetrics(join(cfg.out, "metrics.jsonl")).filter((r) => "loss" in r);
      expect(logged.length).toBe(2);

      const it = await createTrainIteration(cfg, new CpuBackend("float32"));
      try {
        // both in one window: the second launched before the first is read, as train() ran them
        const rows = await it.run(2);
        expect(rows.length).toBe(2);
        rows.forEach((values, i) => {
          const terms = Object.keys(values).sort();
          expect(terms).toEqual(TERMS[mode]);
          for (const k of terms) expect(values[k]).toBe(logged[i]![k]);
        });
        expect(it.steps).toBe(2);
      } finally {
        it.dispose();
      }
    }, 120_000);
  }
});

describe.skipIf(!existsSync(SMALL_PHOTO))("the L3 photo", () => {
  test("is built once, deterministically, by mirroring a real image out to the workload's size", () => {
    const path = join(dir, "photo.png");
    expect(ensurePhoto(path, SMALL_PHOTO)).toBe(path);
    const info = readImageInfo(path);
    expect([info.width, info.height, info.channels]).toEqual([W.loop.photo.width, W.loop.photo.height, 3]);
    const src = readImage(SMALL_PHOTO), img = readImage(path);
    const px = (im: typeof img, x: number, y: number) => Array.from(im.data.subarray((y * im.width + x) * 3, (y * im.width + x) * 3 + 3));
    expect(px(img, 10, 20)).toEqual(px(src, 10, 20));
    expect(px(img, 256, 3)).toEqual(px(src, 255, 3)); // mirrored at the right edge
    expect(px(img, 5, 300)).toEqual(px(src, 5, 211)); // and at the bottom (300 → 2·256 − 1 − 300)
    expect(px(img, 513, 514)).toEqual(px(src, 1, 2)); // a whole period on
    const mtime = statSync(path).mtimeMs;
    ensurePhoto(path, SMALL_PHOTO);
    expect(statSync(path).mtimeMs).toBe(mtime); // there already: reused
  }, 60_000);
});

const gpu = haveData && (await haveWebGpu("the engine's served loop steps"));

describe.skipIf(!gpu)("the engine's worker (WebGPU), one served step", () => {
  const engine = (w: string, flags: string[]): Worker => ({ label: `engine ${w}`, command: (x) => [process.execPath, ENGINE, "--only", w, "--backend", "webgpu", ...flags, ...x] });

  test("L1: a training iteration on real images", async () => {
    const r = await oneServedStep(engine("L1", ["--data", data]));
    expect(r).toMatchObject({ name: "L1", impl: "engine", backend: "webgpu", data, images: 2, parameters: 12644 });
  }, 180_000);

  test("L3: a photo from PNG file to PNG file", async () => {
    const r = await oneServedStep(engine("L3", ["--photo", SMALL_PHOTO]));
    expect(r).toMatchObject({ name: "L3", impl: "engine", photo: SMALL_PHOTO, size: "256×256 → 1024×1024" });
  }, 180_000);
});

const torch = haveData && existsSync(PYTHON) && Bun.spawnSync([PYTHON, "-c", "import torch, numpy, PIL"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
if (!torch) console.warn(`SKIPPING the PyTorch loop workers: ${PYTHON} cannot import torch, numpy and PIL (apt-get install python3-torch python3-pil)`);

describe.skipIf(!torch)("the PyTorch worker, one served step", () => {
  const peer = (w: string, flags: string[]): Worker => ({ label: `pytorch ${w}`, command: (x) => [PYTHON, TORCH, "--only", w, ...flags, ...x] });

  test("L2: a student iteration (frozen teacher, VID) on real images", async () => {
    const r = await oneServedStep(peer("L2", ["--data", data]));
    // the student with its VID estimator: the engine's count (models/pisr.ts) too
    expect(r).toMatchObject({ name: "L2", impl: "pytorch", data, images: 2, parameters: 25414 });
  }, 180_000);

  test("L3: a photo from PNG file to PNG file", async () => {
    const r = await oneServedStep(peer("L3", ["--photo", SMALL_PHOTO]));
    expect(r).toMatchObject({ name: "L3", impl: "pytorch", photo: SMALL_PHOTO, size: "256×256 → 1024×1024" });
  }, 180_000);
});
