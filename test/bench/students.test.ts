// The student workloads of bench/run.ts (S1-<arch> inference, S2-<arch> training step, for VDSR, IDN, CARN and
// CARN-M): their names on the command lines, the nominal FLOPs (bench/lib/students.ts's layer tables, checked by
// hand on small networks and against the convolutions a real PisrModel runs), how the engine's worker fits them
// into the device's buffers, and one served step of each side's worker at the --smoke sizes.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend, ConvGeometry } from "../../engine/backend.ts";
import type { Shape4 } from "../../engine/shape.ts";
import { CpuBackend } from "../../engine/cpu/backend.ts";
import { noGrad, Tensor } from "../../engine/index.ts";
import type { Worker } from "../../bench/lib/paired.ts";
import { oneServedStep } from "./served-step.ts";
import { convMacs, inferencePlan, microBatches, STUDENT_ARCHS, STUDENT_SIZES, type StudentArch, studentConvs, studentForwardMacs } from "../../bench/lib/students.ts";
import { DEFAULT_WORKLOADS, DESCRIPTIONS, parseWorkerArgs, parseWorkloadList, STUDENT_WORKLOADS, W, WORKLOADS, workloadFlops } from "../../bench/workloads.ts";
import { PisrModel } from "../../models/pisr.ts";
import type { ModelConfig } from "../../models/registry.ts";
import { haveWebGpu } from "../webgpu.ts";

const ROOT = join(import.meta.dir, "../..");
const RUN = join(ROOT, "bench/run.ts");
const ENGINE = join(ROOT, "bench/lib/students-worker.ts");
const TORCH = join(ROOT, "bench/peers/torch_bench.py");
const PYTHON = "/usr/bin/python3";

function runBench(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = Bun.spawnSync([process.execPath, RUN, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("the S workloads on the command lines", () => {
  test("S1-<arch> and S2-<arch> for the four students, any case, or by prefix; not in the default set", () => {
    expect(STUDENT_WORKLOADS).toEqual(["S1-vdsr", "S1-idn", "S1-carn", "S1-carn-m", "S2-vdsr", "S2-idn", "S2-carn", "S2-carn-m"]);
    for (const w of STUDENT_WORKLOADS) {
      expect(WORKLOADS).toContain(w);
      expect(DESCRIPTIONS[w]).toBeTruthy();
    }
    expect(parseWorkloadList("S1-vdsr,s2-IDN, S1-CARN-M")).toEqual(["S1-vdsr", "S2-idn", "S1-carn-m"]);
    expect(parseWorkloadList("S1")).toEqual(["S1-vdsr", "S1-idn", "S1-carn", "S1-carn-m"]);
    expect(parseWorkloadList("s")).toEqual([...STUDENT_WORKLOADS]);
    expect(parseWorkloadList("S2-carn")).toEqual(["S2-carn"]); // an exact name wins over the prefix of S2-carn-m
    expect(parseWorkloadList("B1,S2-idn,S2,B1")).toEqual(["B1", "S2-idn", "S2-vdsr", "S2-carn", "S2-carn-m"]);
    expect(parseWorkloadList("B")).toEqual(["B0", "B1", "B2", "B3"]);
    expect(() => parseWorkloadList("S3")).toThrow('unknown workload "S3"');
    expect(() => parseWorkloadList("S1-fsrcnn")).toThrow("<arch> one of vdsr, idn, carn, carn-m");
    expect(DEFAULT_WORKLOADS).toEqual(["B0", "B1", "B2", "B3"]);
    expect(parseWorkerArgs(["--only", "S2-carn-m", "--serve"], { backend: "webgpu" })).toMatchObject({ only: ["S2-carn-m"], serve: true });
  });

  test("the sizes are B3's (S1) and B1's (S2)", () => {
    expect(STUDENT_SIZES.scale).toBe(W.scale);
    expect(STUDENT_SIZES.infer).toEqual(W.infer);
    expect(STUDENT_SIZES.train).toEqual(W.train);
  });

  test("bench/run.ts lists them in --help, and TF.js (which has none) marks them 'not implemented'", () => {
    const help = runBench(["--help"]);
    expect(help.code).toBe(0);
    for (const w of STUDENT_WORKLOADS) expect(help.stdout).toContain(`  ${w}  `);
    const dir = mkdtempSync(join(tmpdir(), "bench-students-"));
    try {
      const out = join(dir, "run.json");
      const r = runBench(["--only", "S1-idn,S2-carn-m", "--impls", "tfjs", "--out", out]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("| S1-idn | TF.js (WebGPU) | — | — | — | not implemented |");
      expect(r.stdout).toContain("| S2-carn-m | TF.js (WebGPU) | — | — | — | not implemented |");
      const json = JSON.parse(readFileSync(out, "utf8"));
      expect(json.failures).toEqual([]);
      expect(json.flops["S1-idn"]).toBe(workloadFlops("S1-idn"));
      expect(json.flops["S2-carn-m"]).toBe(workloadFlops("S2-carn-m"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("nominal FLOPs of the students", () => {
  test("a conv counts Cin/g·Cout·k²·H·W multiply-adds over its output, a transposed conv over its input", () => {
    expect(convMacs({ layer: "c", cin: 8, cout: 4, k: 3, groups: 1, h: 2, w: 3 })).toBe(8 * 4 * 9 * 6);
    expect(convMacs({ layer: "g", cin: 8, cout: 4, k: 3, groups: 4, h: 2, w: 3 })).toBe(2 * 4 * 9 * 6);
    expect(convMacs({ layer: "t", cin: 64, cout: 1, k: 17, groups: 1, h: 5, w: 7, transposed: true })).toBe(64 * 289 * 35);
  });

  test("small networks, counted by hand", () => {
    // VDSR ×2, width 2, one hidden layer, on a 1×1 LR image: three 3×3 convs over the 2×2 HR image
    expect(studentForwardMacs("vdsr", 1, 1, 1, { scale: 2, width: 2, depth: 1 })).toBe((1 * 2 + 2 * 2 + 2 * 1) * 9 * 4);
    // IDN ×2, width 12, d 4 (g = 4 convs: 8→4 and 12→8), one LR pixel: FBlock, 4 DBlocks, the 17×17 transposed conv
    const dblock = 12 * 8 * 9 + (8 / 4) * 4 * 9 + 4 * 12 * 9 + 8 * 12 * 9 + (12 / 4) * 8 * 9 + 8 * 16 * 9 + 16 * 12;
    expect(studentForwardMacs("idn", 1, 1, 1, { scale: 2, width: 12, d: 4 })).toBe(1 * 12 * 9 + 12 * 12 * 9 + 4 * dblock + 12 * 289);
    // CARN ×2, width 4, one LR pixel: entry, 3 blocks of (3 residual blocks + fusions 8→4, 12→4, 16→4), the global
    // fusions, one upsampling conv 4→16, the exit conv over the 2×2 HR image
    const fuse = (8 + 12 + 16) * 4;
    expect(studentForwardMacs("carn", 1, 1, 1, { scale: 2, width: 4 })).toBe(3 * 4 * 9 + 3 * (6 * 16 * 9 + fuse) + fuse + 4 * 16 * 9 + 4 * 3 * 9 * 4);
    // CARN-M ×2, width 4, group 2: the shared block used three times (two grouped 3×3 + one 1×1 each)
    const eres = 2 * (2 * 4 * 9) + 16;
    expect(studentForwardMacs("carn-m", 1, 1, 1, { scale: 2, width: 4, group: 2 })).toBe(3 * 4 * 9 + 3 * (3 * eres + fuse) + fuse + 2 * 16 * 9 + 4 * 3 * 9 * 4);
  });

  test("the full-size networks at ×4, per LR pixel", () => {
    expect(studentForwardMacs("vdsr", 1, 1, 1)).toBe(16 * (9 * 64 + 18 * 9 * 64 * 64 + 9 * 64)); // 10,635,264
    expect(studentForwardMacs("idn", 1, 1, 1)).toBe(551_040);
    expect(studentForwardMacs("carn", 1, 1, 1)).toBe(1_577_664);
    expect(studentForwardMacs("carn-m", 1, 1, 1)).toBe(563_904);
  });

  test("S1 is one forward on 480×270; S2 a step on 16 × 48², 3× the forward but the first conv's (no input gradient)", () => {
    const { width, height } = W.infer, { batch, lrPatch } = W.train;
    for (const a of STUDENT_ARCHS) {
      expect(workloadFlops(`S1-${a}`)).toBe(2 * studentForwardMacs(a, 1, height, width));
      const convs = studentConvs(a, lrPatch, lrPatch);
      const fwd = studentForwardMacs(a, batch, lrPatch, lrPatch);
      expect(workloadFlops(`S2-${a}`)).toBe(2 * (3 * fwd - batch * convMacs(convs[0]!)));
      expect(workloadFlops(`S2-${a}`) / (2 * fwd)).toBeGreaterThan(2.99);
    }
    expect(workloadFlops("S1-carn")).toBe(2 * 1_577_664 * 480 * 270); // ≈ 409 GFLOP
  });

  /** A CPU backend that records every convolution's multiply-adds as it runs them. */
  function recordingBackend(): { be: Backend; convs: number[] } {
    const cpu = new CpuBackend("float32");
    const convs: number[] = [];
    const out = (n: number, k: number, s: number, p: number) => Math.floor((n + 2 * p - k) / s) + 1;
    const be = new Proxy(cpu, {
      get(target, key) {
        const v = Reflect.get(target, key, target);
        if (key === "conv2d")
          return (...a: unknown[]) => {
            const [N, C, H, Wd] = a[1] as Shape4, [O, , kh, kw] = a[3] as Shape4, g = a[5] as ConvGeometry;
            convs.push(N * O * out(H, kh, g.stride[0], g.padding[0]) * out(Wd, kw, g.stride[1], g.padding[1]) * (C / (g.groups ?? 1)) * kh * kw);
            return (v as (...x: unknown[]) => unknown).apply(target, a);
          };
        if (key === "convTranspose2d")
          return (...a: unknown[]) => {
            const [N, C, H, Wd] = a[1] as Shape4, [, og, kh, kw] = a[3] as Shape4;
            convs.push(N * C * H * Wd * og * kh * kw);
            return (v as (...x: unknown[]) => unknown).apply(target, a);
          };
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    return { be, convs };
  }

  const CASES: [StudentArch, ModelConfig][] = [
    ["vdsr", { scale: 4 }],
    ["vdsr", { scale: 3, width: 8, depth: 3 }],
    ["idn", { scale: 4 }],
    ["idn", { scale: 2, width: 16, d: 4 }],
    ["carn", { scale: 4 }],
    ["carn", { scale: 3, width: 8 }],
    ["carn-m", { scale: 4 }],
    ["carn-m", { scale: 2, width: 8, group: 4 }],
  ];
  for (const [arch, config] of CASES) {
    test(`${arch} ${JSON.stringify(config)}: the table has every convolution a real forward runs, with its multiply-adds`, () => {
      const { be, convs } = recordingBackend();
      const model = new PisrModel("baseline", config, { arch, backend: be, seed: 1 });
      const [N, H, Wd] = [2, 3, 5];
      const x = Tensor.fromArray(new Float32Array(N * model.imageChannels * H * Wd).fill(0.5), [N, model.imageChannels, H, Wd], { backend: be });
      noGrad(() => model.forward(x));
      const table = studentConvs(arch, H, Wd, config).map((c) => N * convMacs(c));
      expect(convs).toEqual(table);
      expect(convs.reduce((a, b) => a + b, 0)).toBe(studentForwardMacs(arch, N, H, Wd, config));
    }, 60_000);
  }
});

describe("fitting the device's largest buffer", () => {
  test("micro-batches: the fewest that fit, as even as possible", () => {
    expect(microBatches(16, 1024 * 48 * 48, 2 ** 25)).toEqual([8, 8]); // VDSR or CARN on lavapipe's 128 MiB buffers
    expect(microBatches(16, 80 * 48 * 48, 2 ** 25)).toEqual([16]); // IDN fits
    expect(microBatches(5, 10, 20)).toEqual([1, 2, 2]);
    expect(microBatches(3, 100, 1)).toEqual([1, 1, 1]); // a sample that fits nowhere still runs alone
  });

  test("inference: one pass when it fits, else infer/upscale.ts's tiles", () => {
    expect(inferencePlan("idn", 270, 480, 2 ** 25)).toEqual({ tile: null, tiles: 1, margin: 29 });
    // VDSR: 64 channels at 16 HR pixels per LR pixel → tiles of ⌊√(2²⁵ / 1024)⌋ − 2·8 = 165 LR pixels, 3 × 2 of them
    expect(inferencePlan("vdsr", 270, 480, 2 ** 25)).toEqual({ tile: 165, tiles: 6, margin: 8 });
    expect(inferencePlan("vdsr", 270, 480, 2 ** 28)).toEqual({ tile: null, tiles: 1, margin: 8 });
  });

  test("the engine's S2 step is the same micro-batched or not: its first two losses (before and after an update) agree", () => {
    const run = (extra: string[]) => {
      const r = Bun.spawnSync([process.execPath, ENGINE, "--only", "S2-carn-m", "--smoke", "--backend", "cpu", "--runs", "1", "--warmup", "1", ...extra], { stdout: "pipe", stderr: "pipe" });
      expect(r.exitCode).toBe(0);
      return r.stdout.toString().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).find((l) => l.name === "S2-carn-m");
    };
    const one = run([]), split = run(["--max-elements", "70000"]); // 64 channels × 32² HR pixels per sample: one sample per micro-batch
    expect(one).toMatchObject({ micro_batches: [2], parameters: 294_147 });
    expect(one.note).toBeUndefined();
    expect(split).toMatchObject({ micro_batches: [1, 1], note: "2 micro-batches" });
    expect(one.first_losses.length).toBe(2);
    for (let i = 0; i < 2; i++) expect(split.first_losses[i]).toBeCloseTo(one.first_losses[i], 5);
  }, 120_000);
});

const PARAMETERS: Record<StudentArch, number> = { vdsr: 665_921, idn: 552_769, carn: 1_111_875, "carn-m": 294_147 };

const gpu = await haveWebGpu("the engine's served student steps");

describe.skipIf(!gpu)("the engine's student worker (WebGPU), one served step at the --smoke sizes", () => {
  const engine = (w: string, flags: string[] = []): Worker => ({ label: `engine ${w}`, command: (x) => [process.execPath, ENGINE, "--only", w, "--backend", "webgpu", "--smoke", ...flags, ...x] });

  test("S1-carn-m in one pass, and in tiles (forced by --max-elements)", async () => {
    const one = await oneServedStep(engine("S1-carn-m"));
    expect(one).toMatchObject({ name: "S1-carn-m", impl: "engine", backend: "webgpu", arch: "carn-m", channels: 3, parameters: PARAMETERS["carn-m"], input: [1, 3, 12, 20], output: [1, 3, 48, 80], tiles: 1 });
    const tiled = await oneServedStep(engine("S1-carn-m", ["--max-elements", "100000"]));
    expect(tiled).toMatchObject({ name: "S1-carn-m", tile: 32, margin: 22, note: "1 tile" });
  }, 180_000);

  test("S2-idn: a training step", async () => {
    const r = await oneServedStep(engine("S2-idn"));
    expect(r).toMatchObject({ name: "S2-idn", impl: "engine", arch: "idn", channels: 1, parameters: PARAMETERS.idn, batch: 2, lr_patch: 8, micro_batches: [2] });
  }, 180_000);
});

const torch = existsSync(PYTHON) && Bun.spawnSync([PYTHON, "-c", "import torch"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
if (!torch) console.warn(`SKIPPING the PyTorch student workers: ${PYTHON} cannot import torch (apt-get install python3-torch)`);

describe.skipIf(!torch)("the PyTorch worker, one served step of each student at the --smoke sizes", () => {
  const peer = (w: string): Worker => ({ label: `pytorch ${w}`, command: (x) => [PYTHON, TORCH, "--only", w, "--smoke", ...x] });

  for (const arch of STUDENT_ARCHS)
    test(`S1-${arch} and S2-${arch}: the engine's parameter count, its channels, the name as bench/run.ts spells it`, async () => {
      const c = arch.startsWith("carn") ? 3 : 1;
      const s1 = await oneServedStep(peer(`S1-${arch}`));
      expect(s1).toMatchObject({ name: `S1-${arch}`, impl: "pytorch", arch, channels: c, parameters: PARAMETERS[arch], input: [1, c, 12, 20], output: [1, c, 48, 80] });
      const s2 = await oneServedStep(peer(`S2-${arch.toUpperCase()}`));
      expect(s2).toMatchObject({ name: `S2-${arch}`, impl: "pytorch", parameters: PARAMETERS[arch], batch: 2, lr_patch: 8, hr_patch: 32 });
    }, 180_000);
});
