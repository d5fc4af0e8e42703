// Kernel microbenchmark: every Backend kernel FSRCNN training uses, at FSRCNN's shapes, forward and backward
// (backward = exactly the kernels the autograd calls), on the CPU reference and on WebGPU.
//
//   bun bench/kernels.ts [--only a,b] [--runs N] [--backends cpu,webgpu] [--json PATH] [--quick]
//
// Prints a Markdown table and writes JSON (default bench/out/kernels.json). This is a benchmark, not a test:
// nothing here asserts a time. See bench/README.md for the method and how to read the numbers.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { AdamHyper, Backend, ConvGeometry, Storage } from "../engine/backend.ts";
import { CpuBackend } from "../engine/cpu/backend.ts";
import { convOutSize, convTransposeOutSize, type Shape4 } from "../engine/shape.ts";
import type { WebGpuBackend } from "../engine/webgpu/backend.ts";
import { fmt, gpuFence, machineInfo, median, randomArray } from "./lib/util.ts";

// ---------------------------------------------------------------- options

interface Options {
  only: string[] | null;
  runs: number;
  cpuRuns: number | null;
  backends: ("cpu" | "webgpu")[];
  json: string;
  quick: boolean;
  split: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { only: null, runs: 5, cpuRuns: null, backends: ["cpu", "webgpu"], json: "bench/out/kernels.json", quick: false, split: false };
  let runsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--only":
        o.only = value().split(",").map((s) => s.trim()).filter(Boolean);
        break;
      case "--runs":
        o.runs = Number(value());
        runsGiven = true;
        if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error(`--runs must be a positive integer`);
        break;
      case "--cpu-runs":
        o.cpuRuns = Number(value());
        if (!Number.isInteger(o.cpuRuns) || o.cpuRuns < 1) throw new Error(`--cpu-runs must be a positive integer`);
        break;
      case "--backends": {
        const bs = value().split(",").map((s) => s.trim());
        for (const b of bs) if (b !== "cpu" && b !== "webgpu") throw new Error(`--backends: unknown backend "${b}" (cpu, webgpu)`);
        o.backends = bs as Options["backends"];
        break;
      }
      case "--json":
        o.json = value();
        break;
      case "--quick":
        o.quick = true;
        break;
      case "--split":
        o.split = true;
        break;
      case "-h":
      case "--help":
        console.log(
          "bun bench/kernels.ts [--only a,b] [--runs N] [--cpu-runs N] [--backends cpu,webgpu] [--json PATH] [--quick] [--split]\n" +
            `ops: ${caseNames(16).join(", ")}`,
        );
        process.exit(0);
      default:
        throw new Error(`unknown argument "${a}" (try --help)`);
    }
  }
  if (o.quick && !runsGiven) o.runs = 3;
  return o;
}

// ---------------------------------------------------------------- cases

/** One timed unit of work on one backend: runs the kernels, returns what they produced. */
interface Prepared {
  /** Records/executes the kernels once. `result` is the storage written last (GPU fence, correctness check). */
  step(): { outs: Storage[]; result: Storage };
  dispose(): void;
}

interface Case {
  op: string;
  shape: string;
  /** fwd, bwd (all backward kernels), bwd dx/dw/db (one of them, with --split), step (optimizer) */
  direction: string;
  /** which Backend calls one step makes */
  kernels: string;
  /** nominal floating-point operations per step (2 per multiply-add) */
  flops: number;
  /** minimal bytes moved per step: every input read once, every output written once (float32) */
  bytes: number;
  prepare(be: Backend): Prepared;
}

const size = (s: Shape4): number => s[0] * s[1] * s[2] * s[3];
const fmtShape = (s: readonly number[]): string => `[${s.join(",")}]`;
const ALL_NHW = [true, false, true, true] as const;

/** Host inputs are built once per case so the CPU and the GPU compute on the same numbers. */
function makeInputs(arrays: Record<string, Float32Array>) {
  return (be: Backend) => {
    const s: Record<string, Storage> = {};
    for (const [k, v] of Object.entries(arrays)) s[k] = be.upload(v);
    return { s, dispose: () => Object.values(s).forEach((x) => be.release(x)) };
  };
}

interface ConvSpec {
  op: string;
  N: number;
  C: number;
  O: number;
  H: number;
  W: number;
  K: number;
  pad: number;
  stride?: number;
}

/** conv2d forward and the three backward kernels engine/ops/conv.ts calls for it. */
function convCases(c: ConvSpec, seed: number): Case[] {
  const st = c.stride ?? 1;
  const g: ConvGeometry = { stride: [st, st], padding: [c.pad, c.pad] };
  const HO = convOutSize(c.H, c.K, st, c.pad), WO = convOutSize(c.W, c.K, st, c.pad);
  const xs: Shape4 = [c.N, c.C, c.H, c.W], ws: Shape4 = [c.O, c.C, c.K, c.K], ys: Shape4 = [c.N, c.O, HO, WO];
  const macs = c.N * c.O * HO * WO * c.C * c.K * c.K;
  const inputs = makeInputs({
    x: randomArray(size(xs), seed),
    w: randomArray(size(ws), seed + 1, -0.2, 0.2),
    b: randomArray(c.O, seed + 2),
    dy: randomArray(size(ys), seed + 3),
  });
  const shape = `x${fmtShape(xs)} w${fmtShape(ws)} k${c.K}${st > 1 ? ` s${st}` : ""} p${c.pad}`;
  return [
    {
      op: c.op, shape, direction: "fwd", kernels: "conv2d (+bias)", flops: 2 * macs + size(ys),
      bytes: 4 * (size(xs) + size(ws) + c.O + size(ys)),
      prepare(be) {
        const { s, dispose } = inputs(be);
        return {
          step: () => {
            const y = be.conv2d(s.x, xs, s.w, ws, s.b, g);
            return { outs: [y], result: y };
          },
          dispose,
        };
      },
    },
    ...backwardCases(c.op, shape, inputs, [
      { part: "dx", kernels: "convTranspose2d", flops: 2 * macs, bytes: 4 * (size(ys) + size(ws) + size(xs)),
        run: (be, s) => be.convTranspose2d(s.dy, ys, s.w, ws, null, g, [c.H, c.W]) },
      { part: "dw", kernels: "conv2dWeightGrad", flops: 2 * macs, bytes: 4 * (size(xs) + size(ys) + size(ws)),
        run: (be, s) => be.conv2dWeightGrad(s.x, xs, s.dy, ys, [c.K, c.K], g) },
      { part: "db", kernels: "sum", flops: size(ys), bytes: 4 * (size(ys) + c.O), run: (be, s) => be.sum(s.dy, ys, ALL_NHW, 1) },
    ]),
  ];
}

interface BackwardPart {
  part: string;
  kernels: string;
  flops: number;
  bytes: number;
  run: (be: Backend, s: Record<string, Storage>) => Storage;
}

/** Set by --split: also time each backward kernel alone (rows "bwd dx", "bwd dw", "bwd db"). */
let SPLIT_BACKWARD = false;

/** The whole backward as one case (all parts per step), plus one case per part with --split. */
function backwardCases(op: string, shape: string, inputs: ReturnType<typeof makeInputs>, parts: BackwardPart[]): Case[] {
  const mk = (direction: string, ps: BackwardPart[]): Case => ({
    op, shape, direction, kernels: ps.map((p) => `${p.kernels} (${p.part})`).join(" + "),
    flops: ps.reduce((n, p) => n + p.flops, 0), bytes: ps.reduce((n, p) => n + p.bytes, 0),
    prepare(be) {
      const { s, dispose } = inputs(be);
      return {
        step: () => {
          const outs = ps.map((p) => p.run(be, s));
          return { outs, result: outs[0] };
        },
        dispose,
      };
    },
  });
  return [mk("bwd", parts), ...(SPLIT_BACKWARD ? parts.map((p) => mk(`bwd ${p.part}`, [p])) : [])];
}

/** FSRCNN's last layer, convTranspose2d 9×9 56→1 stride 4, and its backward as engine/ops/conv.ts calls it. */
function deconvCases(N: number, seed: number): Case[] {
  const C = 56, O = 1, H = 48, W = 48, K = 9, S = 4, P = 4, OP = 3;
  const g: ConvGeometry = { stride: [S, S], padding: [P, P] };
  const HO = convTransposeOutSize(H, K, S, P, OP), WO = convTransposeOutSize(W, K, S, P, OP);
  const xs: Shape4 = [N, C, H, W], ws: Shape4 = [C, O, K, K], ys: Shape4 = [N, O, HO, WO];
  // nominal: every input pixel meets every tap (taps that land in the cropped border are counted too)
  const macs = N * C * H * W * O * K * K;
  const inputs = makeInputs({
    x: randomArray(size(xs), seed),
    w: randomArray(size(ws), seed + 1, -0.1, 0.1),
    b: randomArray(O, seed + 2),
    dy: randomArray(size(ys), seed + 3),
  });
  const shape = `x${fmtShape(xs)} w${fmtShape(ws)} s${S} p${P} op${OP} → ${HO}×${WO}`;
  return [
    {
      op: "deconv_last", shape, direction: "fwd", kernels: "convTranspose2d (+bias)", flops: 2 * macs + size(ys),
      bytes: 4 * (size(xs) + size(ws) + O + size(ys)),
      prepare(be) {
        const { s, dispose } = inputs(be);
        return {
          step: () => {
            const y = be.convTranspose2d(s.x, xs, s.w, ws, s.b, g, [HO, WO]);
            return { outs: [y], result: y };
          },
          dispose,
        };
      },
    },
    ...backwardCases("deconv_last", shape, inputs, [
      { part: "dx", kernels: "conv2d", flops: 2 * macs, bytes: 4 * (size(ys) + size(ws) + size(xs)), run: (be, s) => be.conv2d(s.dy, ys, s.w, ws, null, g) },
      { part: "dw", kernels: "conv2dWeightGrad roles swapped", flops: 2 * macs, bytes: 4 * (size(ys) + size(xs) + size(ws)),
        run: (be, s) => be.conv2dWeightGrad(s.dy, ys, s.x, xs, [K, K], g) },
      { part: "db", kernels: "sum", flops: size(ys), bytes: 4 * (size(ys) + O), run: (be, s) => be.sum(s.dy, ys, ALL_NHW, 1) },
    ]),
  ];
}

function preluCases(N: number, seed: number): Case[] {
  const C = 56, HW = 48 * 48;
  const xs: Shape4 = [N, C, HW, 1]; // engine/ops/prelu.ts views [N,C,H,W] as [N,C,H·W,1]
  const n = size(xs);
  const inputs = makeInputs({ x: randomArray(n, seed), slope: randomArray(C, seed + 1, 0, 0.5), dy: randomArray(n, seed + 2) });
  const shape = `x[${N},${C},48,48] slope[${C}]`;
  return [
    {
      op: "prelu", shape, direction: "fwd", kernels: "prelu", flops: 2 * n, bytes: 4 * (2 * n + C),
      prepare(be) {
        const { s, dispose } = inputs(be);
        return {
          step: () => {
            const y = be.prelu(s.x, xs, s.slope, true);
            return { outs: [y], result: y };
          },
          dispose,
        };
      },
    },
    {
      op: "prelu", shape, direction: "bwd", kernels: "preluBackward (dx, dslope)", flops: 4 * n, bytes: 4 * (3 * n + 2 * C),
      prepare(be) {
        const { s, dispose } = inputs(be);
        return {
          step: () => {
            const r = be.preluBackward(s.x, xs, s.slope, true, s.dy);
            return { outs: [r.dx, r.dslope], result: r.dx };
          },
          dispose,
        };
      },
    },
  ];
}

/** mean's backward in engine/ops/reduce.ts: fill(scale) then a broadcast multiply by the output gradient. */
function reduceBackward(be: Backend, g: Storage, xs: Shape4, kept: Shape4, scale: number): Storage {
  const ones = be.fill(size(xs), scale);
  const gx = be.binary("mul", ones, xs, g, kept, xs);
  be.release(ones);
  return gx;
}

/** The elementwise pieces of an L1 loss on FSRCNN's output, alone and chained as l1Loss calls them. */
function l1Cases(N: number, seed: number): Case[] {
  const xs: Shape4 = [N, 1, 192, 192], one: Shape4 = [1, 1, 1, 1];
  const n = size(xs);
  const inputs = makeInputs({
    pred: randomArray(n, seed), target: randomArray(n, seed + 1), dy: randomArray(n, seed + 2), g: new Float32Array([1]),
  });
  const shape = fmtShape(xs);
  const c = (op: string, direction: string, kernels: string, flops: number, bytes: number, f: (be: Backend, s: Record<string, Storage>) => { outs: Storage[]; result: Storage }): Case => ({
    op, shape, direction, kernels, flops, bytes,
    prepare(be) {
      const { s, dispose } = inputs(be);
      return { step: () => f(be, s), dispose };
    },
  });
  const one1 = (y: Storage) => ({ outs: [y], result: y });
  return [
    c("l1_sub", "fwd", "binary sub", n, 12 * n, (be, s) => one1(be.binary("sub", s.pred, xs, s.target, xs, xs))),
    c("l1_sub", "bwd", "unary neg (target side; pred side is the gradient itself)", n, 8 * n, (be, s) => one1(be.unary("neg", s.dy))),
    c("l1_abs", "fwd", "unary abs", n, 8 * n, (be, s) => one1(be.unary("abs", s.pred))),
    c("l1_abs", "bwd", "unaryBackward abs", n, 12 * n, (be, s) => one1(be.unaryBackward("abs", s.pred, s.dy))),
    c("l1_mean", "fwd", "sum all × 1/n", n, 4 * n, (be, s) => one1(be.sum(s.pred, xs, [true, true, true, true], 1 / n))),
    c("l1_mean", "bwd", "fill + binary mul (broadcast [1,1,1,1])", n, 4 * n + 12 * n, (be, s) => one1(reduceBackward(be, s.g, xs, one, 1 / n))),
    c("l1_loss", "fwd", "sub + abs + sum all (= l1Loss)", 3 * n, 12 * n + 8 * n + 4 * n, (be, s) => {
      const d = be.binary("sub", s.pred, xs, s.target, xs, xs);
      const a = be.unary("abs", d);
      const m = be.sum(a, xs, [true, true, true, true], 1 / n);
      return { outs: [d, a, m], result: m };
    }),
    c("l1_loss", "bwd", "fill + mul + unaryBackward abs (pred only)", 2 * n, 4 * n + 12 * n + 12 * n, (be, s) => {
      const gm = reduceBackward(be, s.g, xs, one, 1 / n);
      const gd = be.unaryBackward("abs", s.pred, gm);
      return { outs: [gm, gd], result: gd };
    }),
  ];
}

function sumCases(N: number, seed: number): Case[] {
  const xs: Shape4 = [N, 56, 48, 48];
  const n = size(xs);
  const inputs = makeInputs({ x: randomArray(n, seed), gAll: new Float32Array([1]), gCh: randomArray(56, seed + 1) });
  const shape = fmtShape(xs);
  const mk = (op: string, axes: readonly boolean[], kept: Shape4, gName: string, what: string): Case[] => [
    {
      op, shape, direction: "fwd", kernels: `sum ${what}`, flops: n, bytes: 4 * (n + size(kept)),
      prepare(be) {
        const { s, dispose } = inputs(be);
        return { step: () => { const y = be.sum(s.x, xs, axes, 1); return { outs: [y], result: y }; }, dispose };
      },
    },
    {
      op, shape, direction: "bwd", kernels: `fill + binary mul (broadcast ${fmtShape(kept)})`, flops: n, bytes: 4 * n + 4 * (2 * n + size(kept)),
      prepare(be) {
        const { s, dispose } = inputs(be);
        return { step: () => { const y = reduceBackward(be, s[gName], xs, kept, 1); return { outs: [y], result: y }; }, dispose };
      },
    },
  ];
  return [...mk("sum_all", [true, true, true, true], [1, 1, 1, 1], "gAll", "over all"), ...mk("sum_channel", ALL_NHW, [1, 56, 1, 1], "gCh", "over N,H,W")];
}

const ADAM_PARAMS = 12_644;
/** per element: m (3), v (4), update sqrt/div/add/mul/div/sub (6) */
const ADAM_FLOPS_PER_ELEMENT = 13;

function adamCase(seed: number): Case {
  const n = ADAM_PARAMS;
  const p = randomArray(n, seed), g = randomArray(n, seed + 1, -0.01, 0.01);
  const h: AdamHyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 1 };
  return {
    op: "adam", shape: `${n} params (one tensor)`, direction: "step", kernels: "adam (in place)", flops: ADAM_FLOPS_PER_ELEMENT * n,
    bytes: 4 * 7 * n, // reads p, g, m, v; writes p, m, v
    prepare(be) {
      const s = { p: be.upload(p), g: be.upload(g), m: be.fill(n, 0), v: be.fill(n, 0) };
      return {
        step: () => {
          be.adam(s.p, s.g, s.m, s.v, h);
          return { outs: [], result: s.p };
        },
        dispose: () => Object.values(s).forEach((x) => be.release(x)),
      };
    },
  };
}

function allCases(N: number): Case[] {
  return [
    ...convCases({ op: "conv_fe", N, C: 1, O: 56, H: 48, W: 48, K: 5, pad: 2 }, 100),
    ...convCases({ op: "conv_shrink", N, C: 56, O: 12, H: 48, W: 48, K: 1, pad: 0 }, 200),
    ...convCases({ op: "conv_map", N, C: 12, O: 12, H: 48, W: 48, K: 3, pad: 1 }, 300),
    ...convCases({ op: "conv_expand", N, C: 12, O: 56, H: 48, W: 48, K: 1, pad: 0 }, 400),
    ...deconvCases(N, 500),
    // the PISR teacher encoder's downsampling layer (HR 192² → LR 48²), the costliest conv of a teacher step
    ...convCases({ op: "enc_down", N, C: 56, O: 56, H: 192, W: 192, K: 5, pad: 2, stride: 4 }, 550),
    ...preluCases(N, 600),
    ...l1Cases(N, 700),
    ...sumCases(N, 800),
    adamCase(900),
  ];
}

function caseNames(N: number): string[] {
  return [...new Set(allCases(N).map((c) => c.op))];
}

// ---------------------------------------------------------------- timing

interface Measurement {
  runs: number;
  /** CPU time this process used during the timed runs / their wall time (2 cores → at most 2; lavapipe's threads count) */
  cpuShare: number;
  /** steps recorded back to back per timed run (GPU); each run's time is divided by it */
  inner: number;
  timesMs: number[];
  /** primary output of the first (warm-up) step, for the CPU/GPU agreement check */
  firstResult: Float32Array | Float64Array;
  /** GPU dispatches one step records */
  dispatches: number | null;
}

/** CPU: the kernels run synchronously, so the clock stops when step() returns; no readback is needed. */
async function timeCpu(be: Backend, c: Case, runs: number, maxRuns: number | null): Promise<Measurement> {
  const p = c.prepare(be);
  try {
    const t0 = performance.now();
    const w = p.step(); // warm-up (JIT); its result is kept for the agreement check
    const warmMs = performance.now() - t0;
    const firstResult = await be.read(w.result);
    w.outs.forEach((s) => be.release(s));
    // the CPU reference is slow on the big shapes: 3 timed runs when one step takes over half a second
    const n = maxRuns ?? (warmMs > 500 ? Math.min(runs, 3) : runs);
    const timesMs: number[] = [];
    const share = cpuShareMeter();
    for (let r = 0; r < n; r++) {
      const t = performance.now();
      const { outs } = p.step();
      timesMs.push(performance.now() - t);
      outs.forEach((s) => be.release(s));
    }
    return { runs: n, cpuShare: share(), inner: 1, timesMs, firstResult, dispatches: null };
  } finally {
    p.dispose();
  }
}

/** Returns a function giving this process's CPU time since the call over the wall time since the call. */
function cpuShareMeter(): () => number {
  const c0 = process.cpuUsage(), t0 = performance.now();
  return () => {
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000 / Math.max(performance.now() - t0, 1e-6);
  };
}

/** Target length of one timed GPU run, so the per-submit cost is amortised over several steps for small ops. */
const GPU_RUN_TARGET_MS = 40;
const GPU_MAX_INNER = 50;

/**
 * GPU: one timed run = `inner` steps recorded into one submit, then a 16-byte readback of the last step's
 * result (gpuFence), which resolves only once the queue has executed everything. Time / inner per step.
 * `inner` is fixed per case from the second warm-up step so a run lasts ≈ GPU_RUN_TARGET_MS.
 */
async function timeGpu(be: WebGpuBackend, c: Case, runs: number): Promise<Measurement> {
  const p = c.prepare(be);
  try {
    // warm-up 1: compiles pipelines; full readback for the agreement check, and surfaces WebGPU errors
    const d0 = be.rt.counters.dispatches;
    let t = performance.now();
    const w = p.step();
    const dispatches = be.rt.counters.dispatches - d0;
    const firstResult = await be.read(w.result);
    const first = performance.now() - t;
    w.outs.forEach((s) => be.release(s));
    let inner = 1;
    if (first < 4 * GPU_RUN_TARGET_MS) {
      // warm-up 2 (skipped for slow ops, which run one step per timed run anyway): one step's latency, to choose inner
      t = performance.now();
      const w2 = p.step();
      await gpuFence(be, w2.result);
      const one = performance.now() - t;
      w2.outs.forEach((s) => be.release(s));
      inner = Math.max(1, Math.min(GPU_MAX_INNER, Math.floor(GPU_RUN_TARGET_MS / Math.max(one, 1e-3))));
    }
    const timesMs: number[] = [];
    const share = cpuShareMeter();
    for (let r = 0; r < runs; r++) {
      t = performance.now();
      let last: { outs: Storage[]; result: Storage } | null = null;
      for (let i = 0; i < inner; i++) {
        if (last) last.outs.forEach((s) => be.release(s)); // back to the pool; queued work still reads it first
        last = p.step();
      }
      await gpuFence(be, last!.result);
      timesMs.push((performance.now() - t) / inner);
      last!.outs.forEach((s) => be.release(s));
    }
    const cpuShare = share();
    await be.rt.checkErrors();
    return { runs, cpuShare, inner, timesMs, firstResult, dispatches };
  } finally {
    p.dispose();
  }
}

/** Cost of an empty flush + 16-byte readback: the floor under any single GPU step's latency. */
async function fenceOverheadMs(be: WebGpuBackend): Promise<number> {
  const s = be.upload(new Float32Array(4));
  await be.read(s);
  const ts: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await gpuFence(be, s);
    ts.push(performance.now() - t);
  }
  be.release(s);
  return median(ts);
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]));
  }
  return diff / (scale || 1);
}

// ---------------------------------------------------------------- main

interface Row {
  op: string;
  shape: string;
  direction: string;
  kernels: string;
  backend: "cpu" | "webgpu";
  runs: number;
  inner: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  timesMs: number[];
  flops: number;
  gflops: number;
  bytes: number;
  gbps: number;
  dispatches: number | null;
  /** process CPU time / wall time over the timed runs; well below 1 (cpu) or the core count (webgpu) means a loaded machine */
  cpuShare: number;
  /** median CPU time / median WebGPU time, on the WebGPU row */
  speedup: number | null;
  /** max |gpu − cpu| / max |cpu| over the primary output of the first step */
  relDiffVsCpu: number | null;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const N = o.quick ? 2 : 16;
  SPLIT_BACKWARD = o.split;
  const known = caseNames(N);
  if (o.only) for (const name of o.only) if (!known.includes(name)) throw new Error(`--only: unknown op "${name}"; ops: ${known.join(", ")}`);
  const cases = allCases(N).filter((c) => !o.only || o.only.includes(c.op));

  const started = performance.now();
  const machine = machineInfo();
  const cpu = o.backends.includes("cpu") ? new CpuBackend("float32") : null;
  let gpu: WebGpuBackend | null = null;
  if (o.backends.includes("webgpu")) {
    const { WebGpuBackend } = await import("../engine/webgpu/backend.ts");
    gpu = await WebGpuBackend.create();
  }
  const fenceMs = gpu ? await fenceOverheadMs(gpu) : null;
  const adapter = gpu?.description ?? "(webgpu not run)";
  const stamp =
    `${machine.date} · ${machine.cpuModel} · ${machine.cores} cores · load ${machine.loadavg.join(" ")} · adapter: ${adapter} · ` +
    `Bun ${machine.bun} · commit ${machine.gitCommit} · batch ${N}${o.quick ? " (--quick)" : ""}`;
  console.error(`# kernels benchmark: ${stamp}`);
  if (fenceMs !== null) console.error(`# empty submit + 16-byte readback: ${fmt(fenceMs)} ms`);

  const rows: Row[] = [];
  for (const c of cases) {
    const m: Partial<Record<"cpu" | "webgpu", Measurement>> = {};
    if (cpu) m.cpu = await timeCpu(cpu, c, o.runs, o.cpuRuns);
    if (gpu) m.webgpu = await timeGpu(gpu, c, o.runs);
    for (const backend of ["cpu", "webgpu"] as const) {
      const r = m[backend];
      if (!r) continue;
      const med = median(r.timesMs);
      const row: Row = {
        op: c.op, shape: c.shape, direction: c.direction, kernels: c.kernels, backend, runs: r.runs, inner: r.inner,
        medianMs: med, minMs: Math.min(...r.timesMs), maxMs: Math.max(...r.timesMs), timesMs: r.timesMs.map((t) => Math.round(t * 1e4) / 1e4),
        flops: c.flops, gflops: c.flops / (med * 1e6), bytes: c.bytes, gbps: c.bytes / (med * 1e6), dispatches: r.dispatches, cpuShare: Math.round(r.cpuShare * 100) / 100,
        speedup: backend === "webgpu" && m.cpu ? median(m.cpu.timesMs) / med : null,
        relDiffVsCpu: backend === "webgpu" && m.cpu ? maxRelDiff(m.cpu.firstResult, r.firstResult) : null,
      };
      rows.push(row);
      console.error(
        `  ${c.op} ${c.direction} ${backend}: ${fmt(med)} ms (${fmt(row.minMs)}–${fmt(row.maxMs)}, ${r.runs} runs${r.inner > 1 ? ` × ${r.inner}` : ""}, cpu share ${fmt(r.cpuShare)})` +
          `, ${fmt(row.gflops)} GFLOP/s${row.speedup !== null ? `, ×${fmt(row.speedup)} vs cpu, rel. diff ${row.relDiffVsCpu!.toExponential(1)}` : ""}`,
      );
    }
  }
  const totalS = (performance.now() - started) / 1000;

  // ---- Markdown
  const lines: string[] = [];
  lines.push(`Kernel benchmark — ${stamp}`, "");
  if (fenceMs !== null) lines.push(`WebGPU: empty submit + 16-byte readback = ${fmt(fenceMs)} ms. Wall time of this run: ${totalS.toFixed(0)} s.`, "");
  lines.push("| op | shape | dir | backend | median ms | min–max ms | runs | GFLOP/s | GB/s | WebGPU speed-up | proc CPU |");
  lines.push("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    const runs = r.inner > 1 ? `${r.runs}×${r.inner}` : `${r.runs}`;
    lines.push(
      `| ${r.op} | ${r.shape} | ${r.direction} | ${r.backend} | ${fmt(r.medianMs)} | ${fmt(r.minMs)}–${fmt(r.maxMs)} | ${runs} | ${fmt(r.gflops)} | ${fmt(r.gbps)} | ${r.speedup !== null ? `×${fmt(r.speedup)}` : ""} | ${fmt(r.cpuShare)} |`,
    );
  }
  const totals = (["fwd", "bwd", "step"] as const).map((d) => {
    // FSRCNN's layers once each: the l1 pieces are inside l1_loss, and the teacher encoder's layer is not FSRCNN's
    const counted = (r: Row) => (!r.op.startsWith("l1_") || r.op === "l1_loss") && r.op !== "enc_down";
    const t = (b: string) => rows.filter((r) => r.backend === b && r.direction === d && counted(r)).reduce((s, r) => s + r.medianMs, 0);
    return { d, cpu: t("cpu"), gpu: t("webgpu") };
  });
  lines.push("");
  lines.push(
    "Sums of medians (each FSRCNN layer once; l1_loss chain counted, its pieces not; enc_down not counted): " +
      totals.map((t) => `${t.d}: cpu ${fmt(t.cpu)} ms, webgpu ${fmt(t.gpu)} ms`).join("; "),
  );
  console.log(lines.join("\n"));

  // ---- JSON
  const out = {
    machine: { ...machine, adapter, wallSeconds: Math.round(totalS) },
    options: { ...o, batch: N },
    method: {
      cpu: "step() runs synchronously; clock around it; one untimed warm-up step; 3 timed runs when the warm-up takes > 500 ms",
      webgpu:
        "two untimed warm-up steps (pipelines compile on the first); each timed run records `inner` steps into one submit, " +
        "then copies 16 bytes of the last result to a mappable buffer and awaits mapAsync; run time / inner = per-step ms",
      fenceMs,
      flops: "2 per multiply-add; conv: 2·N·O·Ho·Wo·C·kh·kw (+N·O·Ho·Wo bias adds); convTranspose: 2·N·C·H·W·O·kh·kw; " +
        "conv backward: 2× the forward MACs ×2 + db adds; elementwise: 1 per element (prelu 2); adam: 13 per parameter",
      bytes: "each input read once + each output written once, float32 (a lower bound on traffic)",
    },
    rows,
  };
  mkdirSync(dirname(o.json), { recursive: true });
  writeFileSync(o.json, JSON.stringify(out, null, 2));
  console.error(`# wrote ${o.json} (${totalS.toFixed(0)} s)`);
  gpu?.destroy();
}

await main();
