// WebGPU vs the CPU reference (float32) at the op level, through autograd: for each op, the forward output
// and the gradients of every input of L = sum(op(inputs) ∘ R), R fixed and random, must agree to
//     ‖gpu − cpu‖ / ‖cpu‖ ≤ 1e-5
// on shapes chosen to stress the kernels: odd sizes, sizes that are not multiples of the 64/256 workgroups,
// batch > 1, strides 1–4, paddings 0–4, output paddings 0..stride−1, channels 1/12/56, kernels 1/3/5/9,
// the FSRCNN layer shapes, launches past 65535 workgroups (folded into a 2-D grid), and for the channel ops planes
// that are and are not whole vec4s.
// Adam and SGD are compared over 5 steps the same way.

import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Backend, UnaryOp } from "../../engine/backend.ts";
import { CpuBackend } from "../../engine/cpu/backend.ts";
import {
  abs, Adam, add, clamp, concat, conv2d, convTranspose2d, div, exp, l1Loss, leakyRelu, log, mean, mseLoss, mul, narrow, neg, pixelShuffle, prelu, relu,
  resizeBicubic, SGD, sign, softplus, sqrt, square, sub, sum, Tensor, tidy,
} from "../../engine/index.ts";
import type { Optimizer } from "../../engine/optim.ts";
import { convOutSize, convTransposeOutSize } from "../../engine/shape.ts";
import { UNARY_OP_NAMES } from "../../engine/unary-table.ts";
import { relErr, Rng, webGpuForFile } from "./util.ts";

const TOL = 1e-5;
setDefaultTimeout(60_000); // lavapipe runs the 2-D-grid launches in seconds
const { skip, gpu } = await webGpuForFile("GPU-vs-CPU op tests");
const it = skip ? test.skip : test;
const cpu = new CpuBackend("float32");
const rng = new Rng(7331);
const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

interface Input {
  shape: number[];
  data: Float32Array;
  /** defaults to true */
  grad?: boolean;
}
const inp = (shape: number[], data?: Float32Array, grad = true): Input => ({ shape, data: data ?? rng.normals(size(shape)), grad });
const awayFromZero = (n: number, lo = 0.05, hi = 2): Float32Array => Float32Array.from({ length: n }, () => (rng.random() < 0.5 ? -1 : 1) * rng.uniform(lo, hi));

interface Run {
  y: Float32Array;
  grads: (Float32Array | null)[];
}

async function runOn(be: Backend, f: (ts: Tensor[]) => Tensor, inputs: Input[], R: (n: number) => Float32Array): Promise<Run & { shape: number[] }> {
  return tidy(async () => {
    const ts = inputs.map((i) => Tensor.fromArray(i.data, i.shape, { backend: be, requiresGrad: i.grad ?? true }));
    const y = f(ts);
    const L = sum(mul(y, Tensor.fromArray(R(y.size), y.shape, { backend: be })));
    L.backward();
    const out = { shape: [...y.shape], y: await y.toArray(), grads: await Promise.all(ts.map((t) => (t.grad ? t.grad.toArray() : null))) };
    for (const t of ts) t.dispose(); // grads were kept; disposing a tensor frees its grad too
    return out;
  }) as Promise<Run & { shape: number[] }>;
}

/**
 * Runs f on both backends and asserts agreement of the output and of every input's gradient. The reference
 * gradient must be non-zero somewhere, so the comparison means something, unless f is piecewise constant
 * (`gradient` "zero"), where it must be zero everywhere.
 */
async function agree(f: (ts: Tensor[]) => Tensor, inputs: Input[], tol = TOL, gradient: "nonzero" | "zero" = "nonzero"): Promise<void> {
  let R: Float32Array | null = null;
  const rFor = (n: number): Float32Array => {
    if (!R) R = rng.normals(n);
    expect(R.length).toBe(n);
    return R;
  };
  const ref = await runOn(cpu, f, inputs, rFor);
  const got = await runOn(gpu(), f, inputs, rFor);
  expect(got.shape).toEqual(ref.shape);
  const yErr = relErr(got.y, ref.y);
  if (!(yErr <= tol)) throw new Error(`forward output [${ref.shape}]: relative error ${yErr} > ${tol}`);
  inputs.forEach((input, k) => {
    if (!(input.grad ?? true)) {
      expect(got.grads[k]).toBeNull();
      return;
    }
    const g = got.grads[k], rg = ref.grads[k];
    expect(g).not.toBeNull();
    if (gradient === "zero") expect(rg!.every((v) => v === 0)).toBe(true);
    else expect(rg!.some((v) => v !== 0)).toBe(true);
    const e = relErr(g!, rg!);
    if (!(e <= tol)) throw new Error(`gradient of input ${k} [${input.shape}]: relative error ${e} > ${tol}`);
  });
}

// ---- convolutions

interface ConvCase {
  x: number[];
  w: number[];
  bias: boolean;
  stride: [number, number];
  padding: [number, number];
  outputPadding?: [number, number];
  groups?: number;
}

const label = (c: ConvCase): string =>
  `x [${c.x}] w [${c.w}]${c.groups ? ` groups ${c.groups}` : ""} stride ${c.stride} padding ${c.padding}${c.outputPadding ? ` outputPadding ${c.outputPadding}` : ""}${c.bias ? " + bias" : ""}`;

const CHANNELS = [1, 12, 56];
const KERNELS = [1, 3, 5, 9];

/** A random conv2d geometry whose output is non-empty and whose cost stays small. */
function randomConv(r: Rng): ConvCase {
  for (;;) {
    const C = r.pick(CHANNELS), O = r.pick(CHANNELS), kh = r.pick(KERNELS), kw = r.pick(KERNELS);
    if (C * O * kh * kw > 40000) continue;
    const stride: [number, number] = [r.int(1, 4), r.int(1, 4)], padding: [number, number] = [r.int(0, 4), r.int(0, 4)];
    const h = Math.max(1, kh - 2 * padding[0]) + r.int(0, 7), w = Math.max(1, kw - 2 * padding[1]) + r.int(0, 7);
    if (convOutSize(h, kh, stride[0], padding[0]) < 1 || convOutSize(w, kw, stride[1], padding[1]) < 1) continue;
    return { x: [r.int(1, 3), C, h, w], w: [O, C, kh, kw], bias: r.random() < 0.6, stride, padding };
  }
}

/** A random grouped conv2d: g of 2–4 groups or depthwise, 1–4 input and output channels per group. */
function randomGroupedConv(r: Rng): ConvCase {
  for (;;) {
    const depthwise = r.random() < 0.3;
    const groups = r.int(2, depthwise ? 12 : 4), C = depthwise ? groups : groups * r.int(1, 4), O = groups * r.int(1, 4);
    const kh = r.pick(KERNELS), kw = r.pick(KERNELS);
    const stride: [number, number] = [r.int(1, 4), r.int(1, 4)], padding: [number, number] = [r.int(0, 4), r.int(0, 4)];
    const h = Math.max(1, kh - 2 * padding[0]) + r.int(0, 7), w = Math.max(1, kw - 2 * padding[1]) + r.int(0, 7);
    if (convOutSize(h, kh, stride[0], padding[0]) < 1 || convOutSize(w, kw, stride[1], padding[1]) < 1) continue;
    return { x: [r.int(1, 3), C, h, w], w: [O, C / groups, kh, kw], groups, bias: r.random() < 0.6, stride, padding };
  }
}

function randomConvTranspose(r: Rng): ConvCase {
  for (;;) {
    const C = r.pick(CHANNELS), O = r.pick(CHANNELS), kh = r.pick(KERNELS), kw = r.pick(KERNELS);
    if (C * O * kh * kw > 40000) continue;
    const stride: [number, number] = [r.int(1, 4), r.int(1, 4)], padding: [number, number] = [r.int(0, 4), r.int(0, 4)];
    const outputPadding: [number, number] = [r.int(0, stride[0] - 1), r.int(0, stride[1] - 1)];
    const h = r.int(1, 7), w = r.int(1, 7);
    if (convTransposeOutSize(h, kh, stride[0], padding[0], outputPadding[0]) < 1) continue;
    if (convTransposeOutSize(w, kw, stride[1], padding[1], outputPadding[1]) < 1) continue;
    return { x: [r.int(1, 3), C, h, w], w: [C, O, kh, kw], bias: r.random() < 0.6, stride, padding, outputPadding };
  }
}

const convInputs = (c: ConvCase, biasSize: number): Input[] => {
  const fanIn = size(c.w.slice(1));
  return [inp(c.x), inp(c.w, rng.normals(size(c.w), 1 / Math.sqrt(fanIn))), ...(c.bias ? [inp([biasSize])] : [])];
};
const runConv = (c: ConvCase) => (t: Tensor[]) => conv2d(t[0], t[1], c.bias ? t[2] : null, { stride: c.stride, padding: c.padding, groups: c.groups });
const runConvT = (c: ConvCase) => (t: Tensor[]) =>
  convTranspose2d(t[0], t[1], c.bias ? t[2] : null, { stride: c.stride, padding: c.padding, outputPadding: c.outputPadding });

const FSRCNN_CONVS: ConvCase[] = [
  { x: [2, 1, 11, 9], w: [56, 1, 5, 5], bias: true, stride: [1, 1], padding: [2, 2] }, // feature extraction
  { x: [2, 56, 11, 9], w: [12, 56, 1, 1], bias: true, stride: [1, 1], padding: [0, 0] }, // shrinking
  { x: [2, 12, 11, 9], w: [12, 12, 3, 3], bias: true, stride: [1, 1], padding: [1, 1] }, // mapping
  { x: [2, 12, 11, 9], w: [56, 12, 1, 1], bias: true, stride: [1, 1], padding: [0, 0] }, // expanding
  // rows of 24 (HR patch 96): 12-column tiles (engine/webgpu/kernels/conv.ts, tileColumns)
  { x: [2, 12, 5, 24], w: [12, 12, 3, 3], bias: true, stride: [1, 1], padding: [1, 1] }, // mapping at LR 24
  { x: [1, 56, 8, 96], w: [56, 56, 5, 5], bias: true, stride: [4, 4], padding: [2, 2] }, // the encoder's stride-4 layer
  // … at HR 192: its input gradient (a transposed conv) takes 16 quotients per invocation, 12 at HR 96; with
  // subgroups 14 channels × 12 quotients, and its items come in runs of 8 with the same taps (lanes share weights)
  { x: [1, 56, 5, 192], w: [56, 56, 5, 5], bias: false, stride: [4, 4], padding: [2, 2] },
];

describe("GPU vs CPU: conv2d", () => {
  for (const c of FSRCNN_CONVS) it(`FSRCNN ${label(c)}`, () => agree(runConv(c), convInputs(c, c.w[0])));
  const r = new Rng(101);
  for (let i = 0; i < 10; i++) {
    const c = randomConv(r);
    it(`random ${label(c)}`, () => agree(runConv(c), convInputs(c, c.w[0])));
  }
  it("only the weight requires grad", () => {
    const c: ConvCase = { x: [3, 12, 7, 5], w: [12, 12, 3, 3], bias: true, stride: [2, 1], padding: [1, 0] };
    const ins = convInputs(c, 12);
    ins[0].grad = false;
    return agree(runConv(c), ins);
  });
  it("more than 65535 workgroups (2-D grid): x [1,1,2049,2049] ⋆ 1×1, forward and input gradient", () => {
    // conv2d forward and its input gradient (a convTranspose2d) both launch > 65535 workgroups of 64. The
    // weight gradient is left out: a 4.2M-term float32 reduction is not expected to agree to 1e-5.
    const c: ConvCase = { x: [1, 1, 2049, 2049], w: [1, 1, 1, 1], bias: false, stride: [1, 1], padding: [0, 0] };
    expect(Math.ceil(size(c.x) / 64)).toBeGreaterThan(65535);
    return agree(runConv(c), [inp(c.x), inp(c.w, Float32Array.of(0.7), false)]);
  });
});

describe("GPU vs CPU: grouped conv2d", () => {
  const named: [string, ConvCase][] = [
    ["groups 4, 64 channels (IDN, CARN-M)", { x: [2, 64, 7, 9], w: [64, 16, 3, 3], groups: 4, bias: true, stride: [1, 1], padding: [1, 1] }],
    ["groups 4, 48 → 64 channels", { x: [1, 48, 10, 6], w: [64, 12, 3, 3], groups: 4, bias: false, stride: [1, 1], padding: [1, 1] }],
    ["depthwise", { x: [2, 12, 11, 9], w: [12, 1, 3, 3], groups: 12, bias: true, stride: [1, 1], padding: [1, 1] }],
    ["depthwise ×2, stride 2", { x: [3, 5, 13, 10], w: [10, 1, 5, 5], groups: 5, bias: false, stride: [2, 2], padding: [2, 2] }],
    ["grouped 1×1", { x: [2, 12, 5, 7], w: [6, 4, 1, 1], groups: 3, bias: true, stride: [1, 1], padding: [0, 0] }],
  ];
  for (const [name, c] of named) it(`${name} ${label(c)}`, () => agree(runConv(c), convInputs(c, c.w[0])));
  const r = new Rng(303);
  for (let i = 0; i < 10; i++) {
    const c = randomGroupedConv(r);
    it(`random ${label(c)}`, () => agree(runConv(c), convInputs(c, c.w[0])));
  }
});

describe("GPU vs CPU: convTranspose2d", () => {
  for (const s of [2, 3, 4]) {
    // FSRCNN deconvolution: 9×9, 56 → 1, stride = scale, padding 4, outputPadding scale − 1
    const c: ConvCase = { x: [2, 56, 6, 5], w: [56, 1, 9, 9], bias: true, stride: [s, s], padding: [4, 4], outputPadding: [s - 1, s - 1] };
    it(`FSRCNN ×${s} ${label(c)}`, () => agree(runConvT(c), convInputs(c, 1)));
  }
  const r = new Rng(202);
  for (let i = 0; i < 10; i++) {
    const c = randomConvTranspose(r);
    it(`random ${label(c)}`, () => agree(runConvT(c), convInputs(c, c.w[1])));
  }
  it("every stride 1–4 with every output padding", async () => {
    for (let s = 1; s <= 4; s++) {
      for (let op = 0; op < s; op++) {
        const c: ConvCase = { x: [2, 3, 4, 5], w: [3, 2, 5, 3], bias: op % 2 === 0, stride: [s, s], padding: [2, 1], outputPadding: [op, op] };
        await agree(runConvT(c), convInputs(c, 2));
      }
    }
  });
});

// ---- pointwise ops

const ODD_SHAPES: number[][] = [[3, 5, 7, 11], [1, 1, 1, 257], [2, 1, 63], [65], [1]];

describe("GPU vs CPU: prelu", () => {
  it("shared slope on odd shapes", async () => {
    for (const s of ODD_SHAPES.filter((s) => s.length >= 2)) await agree((t) => prelu(t[0], t[1]), [inp(s), inp([1], Float32Array.of(0.25))]);
  });
  it("per-channel slope, 56 channels, batch 2", () => agree((t) => prelu(t[0], t[1]), [inp([2, 56, 7, 9]), inp([56], rng.uniforms(56, -0.5, 0.5))]));
  it("per-channel slope, 12 channels, rank 3", () => agree((t) => prelu(t[0], t[1]), [inp([3, 12, 13]), inp([12], rng.uniforms(12, 0, 0.5))]));
});

describe("GPU vs CPU: add/sub/mul/div with broadcasting", () => {
  const ops = { add, sub, mul, div } as const;
  const pairs: [number[], number[]][] = [
    [[3, 5, 7, 11], [3, 5, 7, 11]],
    [[2, 12, 9, 7], [1, 12, 1, 1]],
    [[1, 12, 1, 1], [2, 12, 9, 7]],
    [[3, 5, 7, 11], [5, 1, 1]],
    [[3, 5, 7, 11], [11]],
    [[3, 5, 1, 11], [1, 1, 7, 1]], // both broadcast
    [[2, 1, 257], [1]],
  ];
  for (const [name, f] of Object.entries(ops)) {
    const bData = (n: number) => (name === "div" ? awayFromZero(n, 0.5, 2) : rng.normals(n));
    it(`${name} over ${pairs.length} broadcast pairs`, async () => {
      for (const [as, bs] of pairs) await agree((t) => f(t[0], t[1]), [inp(as), inp(bs, bData(size(bs)))]);
    });
    it(`${name} with scalar numbers on either side`, async () => {
      await agree((t) => f(t[0], 1.7), [inp([3, 5, 7, 11])]);
      await agree((t) => f(-0.8, t[0]), [inp([3, 5, 7, 11], bData(1155))]);
    });
  }
});

const withFirst = (a: Float32Array, v: number): Float32Array => ((a[0] = v), a);
/** every 5th element exactly 0 */
const withZeros = (a: Float32Array): Float32Array => a.map((v, i) => (i % 5 === 4 ? 0 : v));

interface UnaryCase {
  name: string;
  f: (t: Tensor) => Tensor;
  /** n inputs inside the op's domain */
  input: (n: number) => Float32Array;
  /** f is piecewise constant: its gradient is zero everywhere */
  zeroGradient?: boolean;
}

/** The cases of every op of the table (engine/unary-table.ts): the type asks for a new op's, and so does the test below. */
const UNARY_CASES: Record<UnaryOp, UnaryCase[]> = {
  neg: [{ name: "neg", f: neg, input: (n) => rng.normals(n) }],
  abs: [{ name: "abs", f: abs, input: (n) => awayFromZero(n, 1e-3) }],
  exp: [{ name: "exp", f: exp, input: (n) => rng.uniforms(n, -5, 5) }],
  log: [{ name: "log", f: log, input: (n) => rng.uniforms(n, 0.05, 10) }],
  sqrt: [{ name: "sqrt", f: sqrt, input: (n) => rng.uniforms(n, 0.05, 10) }],
  square: [{ name: "square", f: square, input: (n) => rng.normals(n) }],
  softplus: [{ name: "softplus", f: softplus, input: (n) => rng.uniforms(n, -30, 30) }],
  // the first element lies inside the range, so even a one-element input has a non-zero gradient
  clamp: [
    { name: "clamp(-0.5, 0.7)", f: (t) => clamp(t, -0.5, 0.7), input: (n) => withFirst(rng.normals(n), 0) },
    { name: "clamp(min 0.1)", f: (t) => clamp(t, 0.1), input: (n) => withFirst(rng.normals(n), 1) },
    { name: "clamp(max -0.2)", f: (t) => clamp(t, undefined, -0.2), input: (n) => withFirst(rng.normals(n), -1) },
  ],
  sign: [{ name: "sign", f: sign, input: (n) => awayFromZero(n, 1e-3), zeroGradient: true }],
  // exact zeros included: both backends take the same side at the kink; the first element is positive
  relu: [{ name: "relu", f: relu, input: (n) => withFirst(withZeros(rng.normals(n)), 1) }],
  leakyRelu: [
    { name: "leakyRelu (default slope)", f: (t) => leakyRelu(t), input: (n) => withZeros(rng.normals(n)) },
    { name: "leakyRelu(0.3)", f: (t) => leakyRelu(t, 0.3), input: (n) => withZeros(rng.normals(n)) },
    { name: "leakyRelu(-1.5)", f: (t) => leakyRelu(t, -1.5), input: (n) => withZeros(rng.normals(n)) },
  ],
};

describe("GPU vs CPU: unary ops", () => {
  for (const op of UNARY_OP_NAMES) {
    const cases = UNARY_CASES[op] ?? [];
    // a plain test, not `it`: it fails even on a machine whose GPU tests are skipped
    if (!cases.length) test(`${op} has GPU-vs-CPU cases`, () => expect(cases.length, `no case for unary op "${op}" in UNARY_CASES`).toBeGreaterThan(0));
    for (const c of cases) {
      it(`${c.name} on odd shapes`, async () => {
        for (const s of ODD_SHAPES) await agree((t) => c.f(t[0]), [inp(s, c.input(size(s)))], TOL, c.zeroGradient ? "zero" : "nonzero");
      });
    }
  }
});

describe("GPU vs CPU: pixelShuffle", () => {
  const cases: [number[], number][] = [[[3, 12, 7, 5], 2], [[2, 9, 11, 13], 3], [[1, 16, 17, 3], 4], [[2, 8, 1, 1], 2], [[18, 5, 7], 3], [[2, 5, 3, 9], 1]];
  for (const [shape, r] of cases) it(`x [${shape}], r ${r}`, () => agree((t) => pixelShuffle(t[0], r), [inp(shape)]));
  it("conv → pixelShuffle, the sub-pixel upsampler: x [2,12,9,7], 12 → 4·3² channels", () =>
    agree((t) => pixelShuffle(conv2d(t[0], t[1], t[2], { padding: 1 }), 3), [inp([2, 12, 9, 7]), inp([36, 12, 3, 3], rng.normals(3888, 0.1)), inp([36])]));
});

describe("GPU vs CPU: resizeBicubic", () => {
  const cases: [number[], number | { height: number; width: number }][] = [
    [[3, 2, 7, 5], 2], [[2, 3, 11, 13], 3], [[1, 4, 9, 3], 4], [[2, 1, 33, 17], 4], [[5, 7], 3], [[2, 2, 31, 30], 1 / 3],
    [[2, 3, 20, 13], { height: 7, width: 29 }], [[1, 2, 6, 9], { height: 19, width: 10 }],
  ];
  for (const [shape, size] of cases) it(`x [${shape}] → ${JSON.stringify(size)}`, () => agree((t) => resizeBicubic(t[0], size), [inp(shape)]));
  it("×0.2 without antialiasing: the inputs no output reads get a gradient of 0 (empty rows of the transpose)", () =>
    agree((t) => resizeBicubic(t[0], 0.2, { antialiasing: false }), [inp([2, 2, 11, 9])]));
  it("conv → ×3 → conv, VDSR on a learned LR image: x [2,3,9,7]", () =>
    agree((t) => conv2d(resizeBicubic(conv2d(t[0], t[1], t[2], { padding: 1 }), 3), t[3], null, { padding: 1 }), [
      inp([2, 3, 9, 7]), inp([1, 3, 3, 3], rng.normals(27, 0.2)), inp([1]), inp([4, 1, 3, 3], rng.normals(36, 0.3)),
    ]));
});

describe("GPU vs CPU: concat and narrow along channels", () => {
  // planes of 35 (scalar copies) and 16 (vec4 copies)
  for (const [H, W] of [[7, 5], [4, 4]]) {
    it(`concat of [2,3,${H},${W}] [2,1,${H},${W}] [2,5,${H},${W}], the middle one needing no gradient`, () =>
      agree((t) => concat([t[0], t[1], t[2]]), [inp([2, 3, H, W]), inp([2, 1, H, W], undefined, false), inp([2, 5, H, W])]));
    it(`concat of one [3,2,${H},${W}] tensor with itself`, () => agree((t) => concat([t[0], t[0]]), [inp([3, 2, H, W])]));
    it(`narrow of [3,12,${H},${W}] at starts 0, 5 and 11`, async () => {
      for (const [start, length] of [[0, 4], [5, 6], [11, 1]]) await agree((t) => narrow(t[0], 1, start, length), [inp([3, 12, H, W])]);
    });
  }
  it("concat and narrow of rank-2 and rank-3 tensors", async () => {
    await agree((t) => concat([t[0], t[1]]), [inp([5, 3]), inp([5, 257])]);
    await agree((t) => narrow(t[0], 1, 2, 7), [inp([3, 12, 13])]);
  });
  it("a CARN-style cascade: concat of features, 1×1 conv, split", () =>
    agree((t) => {
      const h = relu(conv2d(t[0], t[1], t[2], { padding: 1 }));
      const fused = conv2d(concat([t[0], h]), t[3], t[4]);
      return add(narrow(fused, 1, 0, 6), narrow(fused, 1, 6, 6));
    }, [inp([2, 12, 9, 7]), inp([12, 12, 3, 3], rng.normals(1296, 0.1)), inp([12]), inp([12, 24, 1, 1], rng.normals(288, 0.2)), inp([12])]));
});

describe("GPU vs CPU: sum and mean", () => {
  const cases: [number[], { axes?: number[]; keepDims?: boolean }][] = [
    [[3, 5, 7, 11], {}],
    [[3, 5, 7, 11], { keepDims: true }],
    [[3, 5, 7, 11], { axes: [1] }],
    [[2, 56, 9, 7], { axes: [0, 2, 3] }],
    [[3, 5, 7, 11], { axes: [0, 2], keepDims: true }],
    [[3, 5, 7, 11], { axes: [-1, -2] }],
    [[5, 300], { axes: [-1] }], // reduced count > 256 threads
    [[1, 257], { axes: [0] }],
    [[1031], {}],
  ];
  for (const [s, opts] of cases) {
    const what = `[${s}] axes ${opts.axes ? `[${opts.axes}]` : "all"}${opts.keepDims ? " keepDims" : ""}`;
    it(`sum ${what}`, () => agree((t) => sum(t[0], opts), [inp(s)]));
    it(`mean ${what}`, () => agree((t) => mean(t[0], opts), [inp(s)]));
  }
  it("sum [1,2,260,260] over axis 1: 67600 outputs, a 2-D grid of workgroups", () => agree((t) => sum(t[0], { axes: [1] }), [inp([1, 2, 260, 260])]));
});

describe("GPU vs CPU: reshape and losses", () => {
  it("reshape", () => agree((t) => square(t[0].reshape([15, -1])), [inp([3, 5, 7, 11])]));
  it("l1Loss (no ties)", () => {
    const target = rng.normals(1155);
    const pred = target.map((v) => v + (rng.random() < 0.5 ? -1 : 1) * rng.uniform(1e-2, 1));
    return agree((t) => l1Loss(t[0], t[1]), [inp([3, 5, 7, 11], pred), inp([3, 5, 7, 11], target)]);
  });
  it("mseLoss", () => agree((t) => mseLoss(t[0], t[1]), [inp([3, 5, 7, 11]), inp([3, 5, 7, 11])]));
  it("composite conv → prelu → convTranspose → l1Loss", () => {
    const target = inp([2, 1, 14, 18], undefined, false);
    return agree(
      (t) => {
        const h = prelu(conv2d(t[0], t[1], t[2], { padding: 2 }), t[3]);
        return l1Loss(convTranspose2d(h, t[4], t[5], { stride: 2, padding: 4, outputPadding: 1 }), t[6]);
      },
      [inp([2, 1, 7, 9]), inp([12, 1, 5, 5], rng.normals(300, 0.2)), inp([12]), inp([12], rng.uniforms(12, 0, 0.3)), inp([12, 1, 9, 9], rng.normals(972, 0.1)), inp([1]), target],
    );
  });
});

// ---- optimizers

async function optimizerRun(be: Backend, make: (ps: Tensor[]) => Optimizer, init: Input[], X: Float32Array): Promise<Float32Array[]> {
  const params = init.map((i) => Tensor.fromArray(i.data, i.shape, { backend: be, requiresGrad: true }).keep());
  const opt = make(params);
  for (let step = 0; step < 5; step++) {
    // a loss whose gradient depends on the parameters, so the trajectories must stay together
    opt.minimize(() => {
      const x = Tensor.fromArray(X, [3, 5, 7, 11], { backend: be });
      return add(mseLoss(mul(params[0], x), add(x, 0.5)), mean(square(sub(params[1], 0.3))));
    }).dispose();
  }
  const out = await Promise.all(params.map((p) => p.toArray()));
  opt.dispose();
  for (const p of params) p.dispose();
  return out;
}

describe("GPU vs CPU: optimizers over 5 steps", () => {
  const cases: [string, (ps: Tensor[]) => Optimizer][] = [
    ["Adam (PyTorch defaults)", (ps) => new Adam(ps)],
    ["Adam (lr 1e-2, weightDecay 1e-2)", (ps) => new Adam(ps, { lr: 1e-2, weightDecay: 1e-2 })],
    ["SGD (momentum 0.9)", (ps) => new SGD(ps, { lr: 0.5, momentum: 0.9 })],
    ["SGD (nesterov, weightDecay 1e-3)", (ps) => new SGD(ps, { lr: 0.5, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const init = [inp([3, 5, 7, 11]), inp([12], rng.normals(12))];
      const X = rng.normals(1155);
      const ref = await optimizerRun(cpu, make, init, X);
      const got = await optimizerRun(gpu(), make, init, X);
      ref.forEach((r, k) => {
        const moved = r.map((v, i) => v - init[k].data[i]);
        expect(Math.max(...moved.map(Math.abs))).toBeGreaterThan(1e-4); // the parameters did move
        const e = relErr(got[k], r);
        if (!(e <= TOL)) throw new Error(`${name}: parameter ${k} relative error ${e} > ${TOL}`);
        // the updates themselves (small next to the parameters) agree too
        const eMove = relErr(got[k].map((v, i) => v - init[k].data[i]), moved);
        if (!(eMove <= 1e-3)) throw new Error(`${name}: update of parameter ${k} relative error ${eMove}`);
      });
    });
  }
});

// Last in the file, so that the inputs they draw leave every other case's random inputs as they were.
describe("GPU vs CPU: conv2d, weights shared through subgroups or not", () => {
  // strided layers take 16 channels per tile where they divide O: with subgroups of 8, two weight loads per lane
  const sixteen: ConvCase = { x: [2, 3, 9, 22], w: [48, 3, 3, 3], bias: true, stride: [2, 2], padding: [1, 1] };
  it(`16 channels per tile ${label(sixteen)}`, () => agree(runConv(sixteen), convInputs(sixteen, 48)));
  // weight gradients whose subgroups walk rows together (vec4-aligned rows), a lane for each pair of input channel and
  // kernel row: 8 or 16 input channels (a kernel row a workgroup) with 16 output channels a lane (two dy loads),
  // a prime number of output channels, stride 2, the encoder's stride 4 with padding rows, a 9-wide kernel (4
  // output channels a block of 12); pairs across kernel rows: 12 or 9 input channels (4 or 5 lanes idle), FSRCNN's
  // first layer (one input channel, a lane per kernel row, padding in some lanes only), 3 channels × 5 rows
  const rowsTogether: ConvCase[] = [
    { x: [2, 16, 3, 8], w: [16, 16, 1, 1], bias: false, stride: [1, 1], padding: [0, 0] },
    { x: [2, 12, 5, 8], w: [12, 12, 3, 3], bias: true, stride: [1, 1], padding: [1, 1] },
    { x: [3, 8, 6, 16], w: [5, 8, 3, 3], bias: false, stride: [2, 2], padding: [1, 1] },
    { x: [2, 8, 13, 16], w: [8, 8, 5, 5], bias: true, stride: [4, 4], padding: [2, 2] },
    { x: [1, 8, 6, 16], w: [12, 8, 9, 9], bias: false, stride: [1, 1], padding: [4, 4] },
    { x: [1, 9, 4, 12], w: [2, 9, 3, 3], bias: true, stride: [1, 1], padding: [1, 1] },
    { x: [2, 1, 7, 16], w: [8, 1, 5, 5], bias: true, stride: [1, 1], padding: [2, 2] },
    { x: [2, 3, 6, 8], w: [16, 3, 5, 5], bias: false, stride: [1, 1], padding: [2, 2] },
  ];
  for (const c of rowsTogether) it(`rows together ${label(c)}`, () => agree(runConv(c), convInputs(c, c.w[0])));
  it("without subgroups (every lane loads its own weights and rows): FSRCNN's layers, the stride-4 one, the cases above", async () => {
    const rt = gpu().rt;
    const lanes = rt.subgroupMinSize;
    rt.subgroupMinSize = 0;
    try {
      for (const c of [...FSRCNN_CONVS, sixteen, ...rowsTogether]) await agree(runConv(c), convInputs(c, c.w[0]));
    } finally {
      rt.subgroupMinSize = lanes;
    }
  });
});
