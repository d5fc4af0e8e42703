// Finite-difference gradient checks of every op, on the CPU backend in float64.
//
// Method: for inputs x₁…xₖ and a fixed random R shaped like the op's output, L = sum(op(x) ∘ R), so every
// output element contributes. Analytic gradients come from L.backward(); numeric ones from central
// differences (L(x + h·eᵢ) − L(x − h·eᵢ)) / 2h with h = 1e-6, evaluated in float64 without a graph.
// Tolerance, per element of every input that requires grad:
//     |analytic − numeric| ≤ 1e-6 · max(1, |numeric|)
// (central-difference truncation error is O(h²) ≈ 1e-12 and round-off ≈ 1e-16·|L|/h ≈ 1e-10·|L|).
// Kinks (abs, relu, leakyRelu and prelu at 0, clamp bounds, l1 ties) are kept ≥ 1e-3 away from every input, far
// beyond h.

import { describe, expect, test } from "bun:test";
import type { UnaryOp } from "../../engine/backend.ts";
import { CpuBackend, CpuStorage } from "../../engine/cpu/backend.ts";
import {
  abs, add, clamp, concat, conv2d, conv2dPrelu, convTranspose2d, div, exp, l1Loss, leakyRelu, log, mean, mseLoss, mul, narrow, neg, nllLoss, noGrad,
  pixelShuffle, prelu, relu, resizeBicubic, sign, softplus, sqrt, square, sub, sum, Tensor, tidy,
} from "../../engine/index.ts";
import { UNARY_OP_NAMES } from "../../engine/unary-table.ts";
import { Rng } from "./util.ts";

const H = 1e-6;
const TOL = 1e-6;
const be = new CpuBackend("float64");

interface Input {
  data: number[];
  shape: number[];
  /** defaults to true */
  grad?: boolean;
}

const rng = new Rng(20240611);
const randn = (n: number, std = 1): number[] => Array.from({ length: n }, () => std * rng.normal());
const uniform = (n: number, lo: number, hi: number): number[] => Array.from({ length: n }, () => rng.uniform(lo, hi));
/** values with |v| in [lo, hi] and a random sign: away from a kink at 0 */
const awayFromZero = (n: number, lo = 0.05, hi = 2): number[] => Array.from({ length: n }, () => (rng.random() < 0.5 ? -1 : 1) * rng.uniform(lo, hi));
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
const inp = (shape: number[], data?: number[], grad = true): Input => ({ shape, data: data ?? randn(size(shape)), grad });

/** The scalar L(x) read synchronously from float64 storage. */
function lossValue(f: (ts: Tensor[]) => Tensor, inputs: Input[], R: number[], shape: number[]): number {
  return noGrad(() =>
    tidy(() => {
      const ts = inputs.map((i) => Tensor.fromArray(i.data, i.shape, { backend: be }));
      const y = f(ts);
      expect(y.shape).toEqual(shape);
      const l = sum(mul(y, Tensor.fromArray(R, shape, { backend: be })));
      return (l.storage as CpuStorage).array[0];
    }),
  );
}

interface Report {
  worst: number;
  checked: number;
}

/** Compares analytic and numeric gradients of L = sum(f(inputs) ∘ R) for every input that requires grad. */
function gradcheck(f: (ts: Tensor[]) => Tensor, inputs: Input[]): Report {
  const ts = inputs.map((i) => Tensor.fromArray(i.data, i.shape, { backend: be, requiresGrad: i.grad ?? true }));
  const y = f(ts);
  const outShape = [...y.shape];
  const R = randn(y.size);
  const L = sum(mul(y, Tensor.fromArray(R, outShape, { backend: be })));
  expect(L.size).toBe(1);
  L.backward();
  let worst = 0, checked = 0;
  inputs.forEach((input, k) => {
    const t = ts[k];
    if (!(input.grad ?? true)) {
      expect(t.grad).toBeNull();
      return;
    }
    expect(t.grad).not.toBeNull();
    expect(t.grad!.shape).toEqual(input.shape);
    const analytic = (t.grad!.storage as CpuStorage).array;
    expect(analytic).toBeInstanceOf(Float64Array);
    for (let i = 0; i < input.data.length; i++) {
      const v = input.data[i];
      input.data[i] = v + H;
      const lp = lossValue(f, inputs, R, outShape);
      input.data[i] = v - H;
      const lm = lossValue(f, inputs, R, outShape);
      input.data[i] = v;
      const numeric = (lp - lm) / (2 * H);
      const err = Math.abs(analytic[i] - numeric) / Math.max(1, Math.abs(numeric));
      if (!(err <= TOL)) throw new Error(`input ${k} [${input.shape}] element ${i}: analytic ${analytic[i]} vs numeric ${numeric} (scaled error ${err})`);
      worst = Math.max(worst, err);
      checked++;
    }
  });
  for (const t of ts) t.dispose();
  expect(checked).toBeGreaterThan(0);
  return { worst, checked };
}

function check(f: (ts: Tensor[]) => Tensor, inputs: Input[]): void {
  const r = gradcheck(f, inputs);
  expect(r.worst).toBeLessThanOrEqual(TOL);
}

describe("gradcheck: conv2d (float64 CPU)", () => {
  const cases: { x: number[]; w: number[]; bias: boolean; stride: number | [number, number]; padding: number | [number, number] }[] = [
    { x: [2, 3, 6, 5], w: [4, 3, 3, 3], bias: true, stride: 1, padding: 0 },
    { x: [1, 2, 7, 7], w: [3, 2, 3, 3], bias: false, stride: 2, padding: 1 },
    { x: [2, 2, 8, 7], w: [2, 2, 3, 2], bias: true, stride: 3, padding: 2 },
    { x: [1, 3, 7, 9], w: [2, 3, 2, 4], bias: true, stride: [2, 3], padding: [1, 2] },
    { x: [2, 1, 5, 6], w: [3, 1, 1, 1], bias: false, stride: [1, 2], padding: [2, 0] },
    { x: [1, 2, 6, 6], w: [2, 2, 5, 5], bias: true, stride: 1, padding: 2 },
  ];
  for (const c of cases) {
    test(`x [${c.x}] w [${c.w}] stride ${c.stride} padding ${c.padding}${c.bias ? " + bias" : ""}`, () => {
      const inputs = [inp(c.x), inp(c.w), ...(c.bias ? [inp([c.w[0]])] : [])];
      check((t) => conv2d(t[0], t[1], c.bias ? t[2] : null, { stride: c.stride, padding: c.padding }), inputs);
    });
  }
  test("only the weight requires grad (input constant)", () => {
    check((t) => conv2d(t[0], t[1], t[2], { stride: 2, padding: 1 }), [inp([2, 2, 5, 5], undefined, false), inp([3, 2, 3, 3]), inp([3], undefined, false)]);
  });
});

describe("gradcheck: grouped conv2d (float64 CPU)", () => {
  const cases: { x: number[]; w: number[]; groups: number; bias: boolean; stride: number | [number, number]; padding: number | [number, number] }[] = [
    { x: [2, 4, 6, 5], w: [6, 2, 3, 3], groups: 2, bias: true, stride: 1, padding: 1 },
    { x: [1, 6, 7, 8], w: [4, 3, 3, 2], groups: 2, bias: false, stride: [2, 3], padding: [2, 1] },
    { x: [2, 8, 5, 6], w: [8, 2, 3, 3], groups: 4, bias: true, stride: 2, padding: 1 },
    { x: [1, 4, 7, 6], w: [4, 1, 2, 4], groups: 4, bias: true, stride: [3, 1], padding: [0, 2] },
    { x: [2, 3, 6, 7], w: [3, 1, 3, 3], groups: 3, bias: true, stride: 2, padding: 2 }, // depthwise
    { x: [1, 2, 5, 6], w: [6, 1, 3, 2], groups: 2, bias: false, stride: [1, 2], padding: [3, 0] }, // depthwise, 3 outputs per channel
  ];
  for (const c of cases) {
    test(`x [${c.x}] w [${c.w}] groups ${c.groups} stride ${c.stride} padding ${c.padding}${c.bias ? " + bias" : ""}`, () => {
      const inputs = [inp(c.x), inp(c.w), ...(c.bias ? [inp([c.w[0]])] : [])];
      check((t) => conv2d(t[0], t[1], c.bias ? t[2] : null, { stride: c.stride, padding: c.padding, groups: c.groups }), inputs);
    });
  }
});

describe("gradcheck: convTranspose2d (float64 CPU)", () => {
  const cases: {
    x: number[]; w: number[]; bias: boolean; stride: number | [number, number]; padding: number | [number, number]; outputPadding: number | [number, number];
  }[] = [
    { x: [2, 3, 4, 3], w: [3, 2, 3, 3], bias: true, stride: 1, padding: 0, outputPadding: 0 },
    { x: [1, 2, 4, 4], w: [2, 3, 3, 3], bias: false, stride: 2, padding: 1, outputPadding: 1 },
    { x: [2, 2, 3, 4], w: [2, 2, 4, 5], bias: true, stride: 3, padding: 2, outputPadding: [2, 1] },
    { x: [1, 2, 3, 3], w: [2, 1, 5, 5], bias: true, stride: 4, padding: 1, outputPadding: 3 },
    { x: [1, 3, 3, 4], w: [3, 2, 3, 2], bias: false, stride: [2, 3], padding: [0, 1], outputPadding: [0, 2] },
    { x: [2, 1, 3, 3], w: [1, 2, 9, 9], bias: true, stride: 3, padding: 4, outputPadding: 2 },
  ];
  for (const c of cases) {
    test(`x [${c.x}] w [${c.w}] stride ${c.stride} padding ${c.padding} outputPadding ${c.outputPadding}${c.bias ? " + bias" : ""}`, () => {
      const inputs = [inp(c.x), inp(c.w), ...(c.bias ? [inp([c.w[1]])] : [])];
      check((t) => convTranspose2d(t[0], t[1], c.bias ? t[2] : null, { stride: c.stride, padding: c.padding, outputPadding: c.outputPadding }), inputs);
    });
  }
});

describe("gradcheck: prelu (float64 CPU)", () => {
  test("shared slope", () => {
    check((t) => prelu(t[0], t[1]), [inp([2, 3, 4, 5], awayFromZero(120)), inp([1], [0.25])]);
  });
  test("per-channel slope", () => {
    check((t) => prelu(t[0], t[1]), [inp([2, 4, 3, 3], awayFromZero(72)), inp([4], [0.1, -0.3, 0.25, 1.5])]);
  });
  test("per-channel slope on a rank-2 input", () => {
    check((t) => prelu(t[0], t[1]), [inp([5, 3], awayFromZero(15)), inp([3], [0.2, 0.5, -0.1])]);
  });
});

describe("gradcheck: add/sub/mul/div with broadcasting (float64 CPU)", () => {
  const ops = { add, sub, mul, div } as const;
  const N = 2, C = 3, Hh = 4, W = 3;
  const full = [N, C, Hh, W];
  const shapes: [string, number[]][] = [
    ["same shape", full],
    ["[1,C,1,1]", [1, C, 1, 1]],
    ["[C,1,1]", [C, 1, 1]],
    ["[W]", [W]],
    ["[1]", [1]],
  ];
  for (const [name, f] of Object.entries(ops)) {
    // denominators stay ≥ 0.5 away from zero
    const bData = (n: number) => (name === "div" ? awayFromZero(n, 0.5, 2) : randn(n));
    for (const [label, bs] of shapes) {
      test(`${name}: [N,C,H,W] with ${label}`, () => check((t) => f(t[0], t[1]), [inp(full), inp(bs, bData(size(bs)))]));
      if (label !== "same shape") {
        test(`${name}: ${label} with [N,C,H,W]`, () =>
          check((t) => f(t[0], t[1]), [inp(bs, name === "div" ? randn(size(bs)) : bData(size(bs))), inp(full, bData(size(full)))]));
      }
    }
    test(`${name}: tensor with a scalar number on the right`, () => check((t) => f(t[0], 1.7), [inp(full)]));
    test(`${name}: scalar number on the left with a tensor`, () => check((t) => f(-0.8, t[0]), [inp(full, bData(size(full)))]));
    test(`${name}: one tensor used for both operands`, () => check((t) => f(t[0], t[0]), [inp([C, W], bData(C * W))]));
    test(`${name}: only the broadcast operand requires grad`, () =>
      check((t) => f(t[0], t[1]), [inp(full, undefined, false), inp([1, C, 1, 1], bData(C))]));
  }
});

interface UnaryGradCase {
  name: string;
  f: (t: Tensor) => Tensor;
  /** the input's values, drawn when the test runs */
  input: () => number[];
}

describe("gradcheck: unary ops (float64 CPU)", () => {
  const shape = [2, 3, 3, 4];
  const n = size(shape);
  // every input is ≥ 1e-3 from both bounds, so the kink is never straddled
  const clampData = (lo: number, hi: number): number[] =>
    uniform(n, -3, 3).map((v) => (Math.abs(v - lo) < 1e-3 ? lo - 2e-3 : Math.abs(v - hi) < 1e-3 ? hi + 2e-3 : v));
  /** The cases of every op of the table (engine/unary-table.ts): the type asks for a new op's, and so does the loop below. */
  const cases: Record<UnaryOp, UnaryGradCase[]> = {
    neg: [{ name: "neg", f: neg, input: () => randn(n) }],
    abs: [{ name: "abs (inputs ≥ 1e-3 away from 0)", f: abs, input: () => awayFromZero(n, 1e-3, 2) }],
    exp: [{ name: "exp", f: exp, input: () => uniform(n, -3, 3) }],
    log: [{ name: "log (positive inputs)", f: log, input: () => uniform(n, 0.1, 5) }],
    sqrt: [{ name: "sqrt (positive inputs)", f: sqrt, input: () => uniform(n, 0.1, 5) }],
    square: [{ name: "square", f: square, input: () => randn(n) }],
    softplus: [{
      name: "softplus, including far tails", f: softplus,
      input: () => [...uniform(n - 8, -5, 5), -40, -20, -17.5, -1e-4, 1e-4, 17.5, 20, 40],
    }],
    clamp: [
      {
        name: "clamp(min, max)", f: (t) => clamp(t, -1, 0.5),
        input: () => {
          const data = clampData(-1, 0.5);
          expect(data.some((v) => v < -1) && data.some((v) => v > 0.5) && data.some((v) => v > -1 && v < 0.5)).toBe(true);
          return data;
        },
      },
      { name: "clamp(min) only", f: (t) => clamp(t, 0.2), input: () => clampData(0.2, Infinity) },
      { name: "clamp(undefined, max) only", f: (t) => clamp(t, undefined, -0.3), input: () => clampData(-Infinity, -0.3) },
    ],
    sign: [{ name: "sign (inputs ≥ 1e-3 away from 0, where it jumps)", f: sign, input: () => awayFromZero(n, 1e-3, 2) }],
    relu: [{ name: "relu (inputs ≥ 1e-3 away from 0)", f: relu, input: () => awayFromZero(n, 1e-3, 2) }],
    leakyRelu: [
      { name: "leakyRelu, default slope (inputs ≥ 1e-3 away from 0)", f: (t) => leakyRelu(t), input: () => awayFromZero(n, 1e-3, 2) },
      { name: "leakyRelu(0.2)", f: (t) => leakyRelu(t, 0.2), input: () => awayFromZero(n, 1e-3, 2) },
      { name: "leakyRelu(-0.7), a negative slope", f: (t) => leakyRelu(t, -0.7), input: () => awayFromZero(n, 1e-3, 2) },
    ],
  };
  for (const op of UNARY_OP_NAMES) {
    const opCases = cases[op] ?? [];
    if (!opCases.length) test(`${op} has gradcheck cases`, () => expect(opCases.length, `no case for unary op "${op}"`).toBeGreaterThan(0));
    for (const c of opCases) test(c.name, () => check((t) => c.f(t[0]), [inp(shape, c.input())]));
  }
});

describe("gradcheck: sum and mean (float64 CPU)", () => {
  const cases: [string, number[], { axes?: number[]; keepDims?: boolean }][] = [
    ["all axes", [2, 3, 4, 5], {}],
    ["all axes, keepDims", [2, 3, 4, 5], { keepDims: true }],
    ["axis 1", [2, 3, 4, 5], { axes: [1] }],
    ["axes 0 and 2, keepDims", [2, 3, 4, 5], { axes: [0, 2], keepDims: true }],
    ["axes [0, 2, 3] (per channel)", [2, 3, 4, 5], { axes: [0, 2, 3] }],
    ["negative axis -1", [3, 4, 5], { axes: [-1] }],
    ["negative axes [-1, -3], keepDims", [2, 3, 4, 5], { axes: [-1, -3], keepDims: true }],
    ["rank 2, axis 0", [4, 6], { axes: [0] }],
    ["rank 1", [7], {}],
  ];
  for (const [label, shape, opts] of cases) {
    test(`sum: ${label}`, () => check((t) => sum(t[0], opts), [inp(shape)]));
    test(`mean: ${label}`, () => check((t) => mean(t[0], opts), [inp(shape)]));
  }
});

describe("gradcheck: reshape (float64 CPU)", () => {
  test("reshape to a new shape", () => check((t) => t[0].reshape([6, 4]), [inp([2, 3, 4])]));
  test("reshape with -1, then a nonlinear op on the view", () => check((t) => square(t[0].reshape([2, -1])), [inp([2, 3, 2, 2])]));
  test("reshape of a computed tensor feeding a broadcast", () =>
    check((t) => mul(exp(t[0]).reshape([1, 3, 2, 2]), t[1]), [inp([12], uniform(12, -1, 1)), inp([1, 3, 1, 1])]));
});

describe("gradcheck: pixelShuffle (float64 CPU)", () => {
  const cases: [number[], number][] = [[[2, 8, 3, 2], 2], [[1, 9, 2, 3], 3], [[1, 32, 2, 1], 4], [[4, 2, 3], 2], [[2, 3, 2, 2], 1]];
  for (const [shape, r] of cases) test(`x [${shape}], r ${r}`, () => check((t) => pixelShuffle(t[0], r), [inp(shape)]));
  test("after a conv, the ESPCN/CARN upsampler", () =>
    check((t) => pixelShuffle(conv2d(t[0], t[1], t[2], { padding: 1 }), 2), [inp([1, 2, 4, 3]), inp([8, 2, 3, 3], randn(144, 0.3)), inp([8])]));
});

describe("gradcheck: resizeBicubic (float64 CPU)", () => {
  const cases: [number[], number | { height: number; width: number }][] = [
    [[2, 3, 4, 5], 2], [[1, 2, 3, 4], 3], [[1, 1, 3, 2], 4], [[2, 6, 7], 0.5],
    [[2, 3, 5], { height: 2, width: 7 }], // height shrunk (antialiased) first, then the width enlarged
    [[1, 2, 4, 4], { height: 9, width: 5 }], // the width first: its scale is the smaller
  ];
  for (const [shape, size] of cases) test(`x [${shape}] → ${JSON.stringify(size)}`, () => check((t) => resizeBicubic(t[0], size), [inp(shape)]));
  test("shrinking ×0.2 without antialiasing: most inputs reach no output, their gradient is 0", () =>
    check((t) => resizeBicubic(t[0], 0.2, { antialiasing: false }), [inp([1, 1, 9, 8])]));
  test("conv → ×2 → conv + the upscaled image, VDSR on a learned LR image", () =>
    check((t) => {
      const up = resizeBicubic(conv2d(t[0], t[1], null, { padding: 1 }), 2);
      return add(up, conv2d(up, t[2], null, { padding: 1 }));
    }, [inp([1, 2, 3, 4]), inp([1, 2, 3, 3], randn(18, 0.3)), inp([1, 1, 3, 3], randn(9, 0.3))]));
});

describe("gradcheck: concat and narrow along channels (float64 CPU)", () => {
  test("concat of three inputs", () => check((t) => concat([t[0], t[1], t[2]]), [inp([2, 2, 3, 2]), inp([2, 1, 3, 2]), inp([2, 3, 3, 2])]));
  test("concat with dim -3, one input needing no gradient", () =>
    check((t) => concat([t[0], t[1]], -3), [inp([1, 2, 2, 3], undefined, false), inp([1, 4, 2, 3])]));
  test("concat of one tensor with itself", () => check((t) => concat([t[0], t[0]]), [inp([2, 3, 2, 2])]));
  test("concat of rank-2 inputs", () => check((t) => concat([t[0], t[1]]), [inp([3, 2]), inp([3, 5])]));
  const narrows: [number[], number, number][] = [[[2, 5, 3, 2], 1, 3], [[2, 5, 3, 2], 0, 1], [[2, 5, 3, 2], 3, 2], [[2, 5, 3, 2], 0, 5], [[3, 4, 5], 2, 1]];
  for (const [shape, start, length] of narrows) {
    test(`narrow x [${shape}] channels ${start} … ${start + length - 1}`, () => check((t) => narrow(t[0], 1, start, length), [inp(shape)]));
  }
  test("a dense block: concat of the input and conv features, split again and recombined", () =>
    check((t) => {
      const features = concat([t[0], conv2d(t[0], t[1], t[2], { padding: 1 })]);
      return mul(narrow(features, 1, 0, 3), narrow(features, 1, 2, 3));
    }, [inp([1, 2, 4, 3]), inp([3, 2, 3, 3], randn(54, 0.3)), inp([3])]));
});

describe("gradcheck: residual connections, an input used twice (float64 CPU)", () => {
  test("add(x, f(x)) with f = conv ∘ relu (VDSR's global residual)", () =>
    check((t) => add(t[0], conv2d(relu(t[0]), t[1], t[2], { padding: 1 })), [inp([2, 2, 4, 3], awayFromZero(48, 1e-3, 2)), inp([2, 2, 3, 3], randn(36, 0.3)), inp([2])]));
  test("a tensor reaching the loss along three paths: add(add(x, f(x)), g(x))", () =>
    check((t) => add(add(t[0], leakyRelu(t[0], 0.1)), square(t[0])), [inp([2, 3, 2, 2], awayFromZero(24, 1e-3, 2))]));
  test("the gradient of add(x, 2x) is exactly 3 everywhere", () => {
    const x = Tensor.fromArray(randn(6), [2, 3], { backend: be, requiresGrad: true });
    sum(add(x, mul(x, 2))).backward();
    expect(Array.from((x.grad!.storage as CpuStorage).array)).toEqual([3, 3, 3, 3, 3, 3]);
    x.dispose();
  });
});

describe("gradcheck: losses (float64 CPU)", () => {
  test("l1Loss, both arguments require grad (no ties: |pred − target| ≥ 1e-3)", () => {
    const target = randn(60);
    const pred = target.map((v) => v + (rng.random() < 0.5 ? -1 : 1) * rng.uniform(1e-3, 1));
    check((t) => l1Loss(t[0], t[1]), [inp([2, 3, 2, 5], pred), inp([2, 3, 2, 5], target)]);
  });
  test("mseLoss, both arguments require grad", () => check((t) => mseLoss(t[0], t[1]), [inp([2, 3, 2, 5]), inp([2, 3, 2, 5])]));
  for (const [kind, opts] of [["laplace", { a: 0.1, eps: 1e-8 }], ["gaussian", { a: 0.001, eps: 1e-8 }]] as const) {
    test(`nllLoss ${kind} (the fused VID loss) w.r.t. mu, scale and target (no ties: |mu − target| ≥ 1e-3)`, () => {
      const target = randn(40);
      const mu = target.map((v) => v + (rng.random() < 0.5 ? -1 : 1) * rng.uniform(1e-3, 1));
      // the spread a·scale + eps must stay well above 0: scale in [0.5, 3]
      check((t) => nllLoss(kind, t[0], t[1], t[2], opts), [inp([2, 4, 5], mu), inp([2, 4, 5], uniform(40, 0.5, 3)), inp([2, 4, 5], target)]);
    });
  }
});

describe("gradcheck: composite (float64 CPU)", () => {
  test("conv2d → prelu → convTranspose2d → l1Loss", () => {
    // x [1,1,5,5] → conv 3×3 pad 1 → [1,4,5,5] → prelu(4) → convT 5×5 s2 p2 op1 → [1,1,10,10]
    const x = inp([1, 1, 5, 5]), w1 = inp([4, 1, 3, 3], randn(36, 0.5)), b1 = inp([4], randn(4, 0.1)), a = inp([4], [0.25, 0.1, 0.3, 0.2]);
    const w2 = inp([4, 1, 5, 5], randn(100, 0.3)), b2 = inp([1], [0.05]);
    const target = inp([1, 1, 10, 10], randn(100), false);
    const f = (t: Tensor[]) => {
      const h = prelu(conv2d(t[0], t[1], t[2], { padding: 1 }), t[3]);
      const y = convTranspose2d(h, t[4], t[5], { stride: 2, padding: 2, outputPadding: 1 });
      return l1Loss(y, t[6]);
    };
    // make sure neither the prelu input nor the l1 residual sits within 1e-3 of a kink at this point
    noGrad(() =>
      tidy(() => {
        const ts = [x, w1, b1, a, w2, b2, target].map((i) => Tensor.fromArray(i.data, i.shape, { backend: be }));
        const pre = conv2d(ts[0], ts[1], ts[2], { padding: 1 });
        const y = convTranspose2d(prelu(pre, ts[3]), ts[4], ts[5], { stride: 2, padding: 2, outputPadding: 1 });
        const minPre = Math.min(...Array.from((pre.storage as CpuStorage).array, Math.abs));
        const res = (sub(y, ts[6]).storage as CpuStorage).array;
        const minRes = Math.min(...Array.from(res, Math.abs));
        expect(minPre).toBeGreaterThan(1e-3);
        expect(minRes).toBeGreaterThan(1e-3);
      }),
    );
    const r = gradcheck(f, [x, w1, b1, a, w2, b2, target]);
    expect(r.checked).toBe(25 + 36 + 4 + 4 + 100 + 1);
    expect(r.worst).toBeLessThanOrEqual(TOL);
    // the same chain through the fused conv + PReLU op, with a graph recorded
    const fused = gradcheck((t) => {
      const y = convTranspose2d(conv2dPrelu(t[0], t[1], t[2], t[3], { padding: 1 }), t[4], t[5], { stride: 2, padding: 2, outputPadding: 1 });
      return l1Loss(y, t[6]);
    }, [x, w1, b1, a, w2, b2, target]);
    expect(fused.checked).toBe(r.checked);
    expect(fused.worst).toBeLessThanOrEqual(TOL);
  });
});

describe("the checker itself", () => {
  test("rejects a wrong gradient", () => {
    // an op whose recorded backward is off by a factor 2 must be caught
    const wrong = (t: Tensor[]) => {
      const y = square(t[0]);
      return Tensor.fromOp("wrong", be, be.unary("square", t[0].storage), t[0].shape, [t[0]], (g) => [
        Tensor.fromStorage(be, be.binary("mul", g.storage, [1, 1, 1, g.size], t[0].storage, [1, 1, 1, g.size], [1, 1, 1, g.size]), t[0].shape),
      ]).reshape(y.shape);
    };
    expect(() => gradcheck(wrong, [inp([5], uniform(5, 0.5, 1))])).toThrow(/analytic/);
  });
});
