// GPU vs CPU agreement of every kernel of the Backend contract (engine/backend.ts). The CPU backend in float32
// is the reference; the criterion is ‖gpu − cpu‖ / ‖cpu‖ ≤ 1e-5, and exact equality where both sides compute one
// correctly rounded f32 operation per element. Every test also checks storage lengths, and that the GPU's live
// storage count returns to where it started once everything the test made is released.
//
// In CI (CI=true) a missing WebGPU adapter fails these tests; elsewhere they are skipped with the reason.

import { afterAll, describe, expect, test } from "bun:test";
import type { AdamHyper, Backend, FloatArray, SgdHyper, Storage, UnaryArgs, UnaryOp } from "../../engine/backend.ts";
import { bicubicAxis } from "../../engine/bicubic.ts";
import { CpuBackend } from "../../engine/cpu/backend.ts";
import { broadcastShapes, convOutSize, convTransposeOutSize, type Shape4, sizeOf } from "../../engine/shape.ts";
import { UNARY_OP_NAMES } from "../../engine/unary-table.ts";
import type { WebGpuBackend } from "../../engine/webgpu/backend.ts";
import { firstMismatch, maxAbsDiff, relErr, Rng } from "./util.ts";
import { webGpuForFile } from "./util.ts";

const TOL = 1e-5;
const { skip, gpu } = await webGpuForFile("backend-agreement.test.ts (GPU vs CPU)");
const cpu = new CpuBackend("float32");

// ---------------------------------------------------------------- harness

/** worst relative error seen per kernel (the label's first word), printed after the file */
const worst = new Map<string, { err: number; label: string }>();
function note(label: string, err: number): void {
  const kernel = label.split(" ")[0];
  if (!(err <= (worst.get(kernel)?.err ?? -1))) worst.set(kernel, { err, label });
}
afterAll(() => {
  if (!worst.size) return;
  console.log(`worst ‖gpu − cpu‖/‖cpu‖ per kernel (tolerance ${TOL}; exact checks not listed):`);
  for (const [kernel, { err, label }] of worst) console.log(`  ${kernel.padEnd(18)} ${err.toExponential(2)}  (${label})`);
});

/** One tensor on both backends. */
interface Pair {
  g: Storage;
  c: Storage;
}
type Pick = (p: Pair) => Storage;

class Harness {
  private made: Pair[] = [];
  constructor(readonly gpu: WebGpuBackend, readonly cpu: CpuBackend) {}

  /** The same float32 data on both backends. */
  up(data: ArrayLike<number>): Pair {
    return this.track({ g: this.gpu.upload(data), c: this.cpu.upload(data) });
  }

  /** Runs one kernel call on both backends, with each backend's own storage picked out of the pairs. */
  both(op: (b: Backend, s: Pick) => Storage): Pair {
    return this.track({ g: op(this.gpu, (p) => p.g), c: op(this.cpu, (p) => p.c) });
  }

  track(p: Pair): Pair {
    this.made.push(p);
    return p;
  }

  release(p: Pair): void {
    const i = this.made.indexOf(p);
    if (i < 0) throw new Error("releasing a pair this harness does not hold");
    this.made.splice(i, 1);
    this.gpu.release(p.g);
    this.cpu.release(p.c);
  }

  releaseAll(): void {
    for (const p of this.made.splice(0)) {
      this.gpu.release(p.g);
      this.cpu.release(p.c);
    }
  }

  async read(p: Pair, length: number, label: string): Promise<{ g: FloatArray; c: FloatArray }> {
    expect(p.g.length, `${label}: GPU storage length`).toBe(length);
    expect(p.c.length, `${label}: CPU storage length`).toBe(length);
    const [g, c] = await Promise.all([this.gpu.read(p.g), this.cpu.read(p.c)]);
    expect(g.length, `${label}: GPU read length`).toBe(length);
    expect(c.length, `${label}: CPU read length`).toBe(length);
    return { g, c };
  }

  /** Asserts ‖gpu − cpu‖/‖cpu‖ ≤ tol; returns the error. */
  async agree(p: Pair, length: number, label: string, tol = TOL): Promise<number> {
    const { g, c } = await this.read(p, length, label);
    const err = relErr(g, c);
    note(label, err);
    expect(err, err <= tol ? label : `${label}: ‖gpu − cpu‖/‖cpu‖ = ${err} > ${tol}; ${firstMismatch(g, c, tol)}`).toBeLessThanOrEqual(tol);
    return err;
  }

  /** Asserts gpu and cpu are equal element for element (0 and −0 count as equal, as do NaN and NaN). */
  async exact(p: Pair, length: number, label: string): Promise<void> {
    const { g, c } = await this.read(p, length, label);
    const err = relErr(g, c) === 0 ? 0 : maxAbsDiff(g, c);
    expect(err, err === 0 ? label : `${label}: max |gpu − cpu| = ${err}; ${firstMismatch(g, c)}`).toBe(0);
  }
}

/** A test that gets a harness and, after releasing everything it made, finds the GPU's live count unchanged. */
function agreement(name: string, body: (h: Harness) => Promise<void>, timeoutMs = 30_000): void {
  test.skipIf(skip)(
    name,
    async () => {
      const g = gpu();
      const live0 = g.memory().live, cpuLive0 = cpu.memory().live;
      const h = new Harness(g, cpu);
      try {
        await body(h);
      } finally {
        h.releaseAll();
      }
      expect(g.memory().live, "GPU live storages after releasing everything the test made").toBe(live0);
      expect(cpu.memory().live, "CPU live storages after releasing everything the test made").toBe(cpuLive0);
    },
    timeoutMs,
  );
}

const fmt = (s: readonly number[]) => `[${s.join(",")}]`;

// ---------------------------------------------------------------- fill

describe("fill", () => {
  agreement("awkward lengths and values, exact", async (h) => {
    for (const n of [1, 3, 63, 64, 255, 256, 257, 1000, 65_537, 1_000_003]) {
      for (const value of n > 100_000 ? [1 / 3] : [0, -1.5, 3.25, 1e-30, -7e30, 1 / 3]) {
        await h.exact(h.both((b) => b.fill(n, value)), n, `fill(${n}, ${value})`);
      }
    }
  });
});

// ---------------------------------------------------------------- unary and unaryBackward

/** ops where forward and backward are one correctly rounded f32 operation (or none) on both backends */
const EXACT_UNARY = new Set<UnaryOp>(["neg", "abs", "square", "clamp", "sign", "relu", "leakyRelu"]);
const UNARY_LENGTHS = [1, 63, 257, 4099, 100_003];

/** Inputs inside each op's domain, with the interesting points (0, bounds, tails) mixed in; a new op gets the default. */
function unaryInput(op: UnaryOp, n: number, rng: Rng): Float32Array {
  switch (op) {
    case "exp":
      return rng.uniforms(n, -30, 30);
    case "log":
    case "sqrt": {
      const a = rng.uniforms(n, -9, 9);
      return a.map(Math.exp); // log-uniform over [1.2e-4, 8e3]
    }
    case "softplus": {
      const a = rng.normals(n, 8);
      const tails = [30, -30, 100, -100, 17, -17, 20, -20, 0, 1e-3, -1e-3, 88, -87];
      for (let i = 0; i < Math.min(n, tails.length); i++) a[(i * 7919) % n] = tails[i];
      return a;
    }
    default: {
      const a = rng.normals(n, 3);
      const special = [0, -0, 0.5, -0.5, 1.25, 0.3, -1, 1];
      for (let i = 0; i < Math.min(n, special.length); i++) a[(i * 104_729) % n] = special[i];
      return a;
    }
  }
}

/** The arguments each op is run with ({} alone for ops without any): bounds, one-sided, unset; slopes default, odd, negative. */
const UNARY_ARGS: Partial<Record<UnaryOp, UnaryArgs[]>> = {
  clamp: [{ min: -0.5, max: 1.25 }, { min: 0 }, { max: 0.3 }, {}, { min: 1, max: 1 }],
  leakyRelu: [{}, { slope: 0.2 }, { slope: 1 / 3 }, { slope: -1.5 }],
};

describe("unary and unaryBackward", () => {
  // every op of the table, so a new one cannot skip this
  UNARY_OP_NAMES.forEach((op, k) => {
    const exact = EXACT_UNARY.has(op);
    agreement(`${op}: forward and gradient${exact ? " (exact)" : ""}, lengths ${UNARY_LENGTHS.join("/")}`, async (h) => {
      const rng = new Rng(100 + k);
      for (const n of UNARY_LENGTHS) {
        const x = h.up(unaryInput(op, n, rng));
        const dy = h.up(rng.normals(n));
        for (const args of UNARY_ARGS[op] ?? [{}]) {
          const label = `${op}${op in UNARY_ARGS ? JSON.stringify(args) : ""} n=${n}`;
          const y = h.both((b, s) => b.unary(op, s(x), args));
          const dx = h.both((b, s) => b.unaryBackward(op, s(x), s(dy), args));
          if (exact) {
            await h.exact(y, n, `${label} forward`);
            await h.exact(dx, n, `${label} backward`);
          } else {
            await h.agree(y, n, `${label} forward`);
            await h.agree(dx, n, `${label} backward`);
          }
        }
      }
    });
  });

  agreement("softplus is stable and accurate element by element over x in [-87, 100]", async (h) => {
    // Large |x| must neither overflow (log(1 + e^100) = inf) nor flush to zero (log(1 + e^-30) rounds 1 + e^-30 to 1).
    const xs = new Float32Array(4001);
    for (let i = 0; i < xs.length; i++) xs[i] = -87 + (187 * i) / (xs.length - 1);
    const x = h.up(xs);
    const dy = h.up(new Float32Array(xs.length).fill(1));
    const y = await h.read(h.both((b, s) => b.unary("softplus", s(x))), xs.length, "softplus");
    const d = await h.read(h.both((b, s) => b.unaryBackward("softplus", s(x), s(dy))), xs.length, "softplus'");
    let worst = 0, worstD = 0, at = 0, atD = 0;
    for (let i = 0; i < xs.length; i++) {
      const e = Math.abs(y.g[i] - y.c[i]) / y.c[i];
      const eD = Math.abs(d.g[i] - d.c[i]) / d.c[i];
      if (!(e <= worst)) [worst, at] = [e, i];
      if (!(eD <= worstD)) [worstD, atD] = [eD, i];
    }
    expect(worst, `softplus worst relative error ${worst} at x=${xs[at]}: ${y.g[at]} vs ${y.c[at]}`).toBeLessThanOrEqual(TOL);
    expect(worstD, `softplus' worst relative error ${worstD} at x=${xs[atD]}: ${d.g[atD]} vs ${d.c[atD]}`).toBeLessThanOrEqual(TOL);

    const tails = [-100, -30, 30, 100];
    const tx = h.up(tails);
    const t = await h.read(h.both((b, s) => b.unary("softplus", s(tx))), 4, "softplus tails");
    expect(Array.from(t.g.subarray(2))).toEqual([30, 100]);
    expect(t.g[1] / t.c[1], "softplus(-30) = e^-30 to float32 accuracy").toBeCloseTo(1, 5);
    expect(t.g[0] >= 0 && t.g[0] < 1e-37, `softplus(-100) = ${t.g[0]}: 3.7e-44, or 0 where denormals flush`).toBe(true);
  });
});

// ---------------------------------------------------------------- binary with broadcasting

const BROADCAST_CASES: [Shape4, Shape4, string][] = [
  [[2, 3, 5, 7], [2, 3, 5, 7], "same shape"],
  [[3, 7, 31, 37], [1, 1, 1, 1], "scalar right"],
  [[1, 1, 1, 1], [2, 5, 9, 11], "scalar left"],
  [[3, 12, 9, 11], [1, 12, 1, 1], "per-channel"],
  [[1, 56, 1, 1], [2, 56, 7, 5], "per-channel left"],
  [[2, 3, 17, 13], [2, 1, 17, 13], "[N,1,H,W]"],
  [[3, 5, 7, 33], [1, 1, 1, 33], "row"],
  [[2, 3, 19, 5], [1, 1, 19, 1], "column"],
  [[4, 1, 6, 1], [1, 5, 1, 7], "both sides broadcast [N,1,H,1] vs [1,C,1,W]"],
  [[1, 12, 1, 100], [5, 1, 37, 1], "both sides broadcast [1,C,1,W] vs [N,1,H,1]"],
  [[3, 1, 1, 1], [1, 3, 1, 1], "[N,1,1,1] vs [1,C,1,1]"],
];

describe("binary (add, sub, mul exact; div ≤ 1e-5) with broadcasting", () => {
  BROADCAST_CASES.forEach(([aShape, bShape, what], k) => {
    const out = broadcastShapes(aShape, bShape) as unknown as Shape4;
    agreement(`${what}: ${fmt(aShape)} ∘ ${fmt(bShape)} → ${fmt(out)}`, async (h) => {
      const rng = new Rng(200 + k);
      const a = h.up(rng.normals(sizeOf(aShape), 2));
      // divisors kept away from 0: |b| in [0.25, 4], either sign
      const bs = new Float32Array(sizeOf(bShape));
      for (let i = 0; i < bs.length; i++) bs[i] = (rng.random() < 0.5 ? -1 : 1) * Math.pow(2, rng.uniform(-2, 2));
      const b = h.up(bs);
      const n = sizeOf(out);
      for (const op of ["add", "sub", "mul"] as const) {
        await h.exact(h.both((be, s) => be.binary(op, s(a), aShape, s(b), bShape, out)), n, `${op} ${what}`);
      }
      await h.agree(h.both((be, s) => be.binary("div", s(a), aShape, s(b), bShape, out)), n, `div ${what}`);
      await h.agree(h.both((be, s) => be.binary("div", s(b), bShape, s(b), bShape, bShape)), sizeOf(bShape), `div b/b ${what}`);
    });
  });
});

// ---------------------------------------------------------------- sum over every subset of axes

// [3, 12, 8, 12] and [4, 1, 1, 300]: runs a multiple of 4 long, summed as vec4s
const SUM_SHAPES: Shape4[] = [[3, 5, 7, 11], [2, 3, 37, 71], [4, 1, 1, 300], [1, 12, 9, 1], [1, 1, 1, 1], [2, 56, 3, 3], [3, 12, 8, 12]];

describe("sum over each of the 16 axis subsets, with a scale", () => {
  for (let mask = 0; mask < 16; mask++) {
    const axes = [0, 1, 2, 3].map((i) => ((mask >> i) & 1) === 1);
    const name = axes.some(Boolean) ? `axes {${[0, 1, 2, 3].filter((i) => axes[i]).join(",")}}` : "no axes (scaled copy)";
    agreement(`${name} of ${SUM_SHAPES.map(fmt).join(" ")}`, async (h) => {
      const rng = new Rng(300 + mask);
      for (const [j, shape] of SUM_SHAPES.entries()) {
        const count = sizeOf(shape.filter((_, i) => axes[i]));
        const scale = [1, 0.37, -2, 1 / count, 1e-3, 3, 0.5][j];
        const x = h.up(j % 2 ? rng.uniforms(sizeOf(shape), -1, 3) : rng.normals(sizeOf(shape)));
        const outLen = sizeOf(shape.map((d, i) => (axes[i] ? 1 : d)));
        await h.agree(h.both((b, s) => b.sum(s(x), shape, axes, scale)), outLen, `sum ${name} of ${fmt(shape)} × ${scale}`);
      }
    });
  }
});

// ---------------------------------------------------------------- convolutions

interface ConvCase {
  x: Shape4; // [N, C, H, W]
  o: number;
  k: [number, number];
  s: [number, number];
  p: [number, number];
}
const cc = (x: Shape4, o: number, k: [number, number], s: [number, number], p: [number, number]): ConvCase => ({ x, o, k, s, p });

const CONV_CASES: ConvCase[] = [
  cc([2, 3, 17, 17], 12, [1, 1], [1, 1], [0, 0]),
  cc([2, 12, 15, 19], 12, [3, 3], [1, 1], [1, 1]),
  cc([1, 1, 21, 23], 56, [9, 9], [1, 1], [4, 4]), // FSRCNN-style feature extraction
  cc([3, 56, 11, 13], 12, [1, 1], [1, 1], [0, 0]), // shrink
  cc([2, 12, 13, 11], 56, [1, 1], [1, 1], [0, 0]), // expand
  cc([2, 3, 16, 18], 5, [5, 5], [2, 2], [2, 2]),
  cc([2, 4, 19, 23], 6, [2, 5], [2, 3], [1, 4]), // non-square kernel, per-axis stride and padding
  cc([1, 3, 25, 26], 7, [3, 3], [4, 4], [3, 3]),
  cc([2, 5, 9, 30], 3, [5, 1], [3, 1], [0, 2]),
  cc([2, 2, 3, 4], 3, [5, 5], [1, 1], [2, 2]), // kernel larger than the input
  cc([1, 2, 7, 7], 2, [9, 9], [1, 2], [4, 4]),
  cc([5, 3, 8, 8], 4, [3, 3], [4, 3], [0, 4]),
  cc([2, 12, 31, 33], 12, [3, 3], [1, 1], [1, 1]),
  cc([2, 5, 9, 10], 13, [3, 3], [1, 1], [1, 1]), // prime channel counts: tiles with unused channels
  cc([1, 64, 6, 5], 72, [3, 3], [1, 2], [1, 1]), // 41,472 weights: past 64 KiB, read from storage, not a uniform buffer
];

/**
 * Rows whose width is a multiple of 4: the GPU kernels read them as vec4s (and the weight gradient also needs
 * WO % 4 = 0). Every window lead (padding mod 4), strides 1–4, a 1×1 window, the longest window kept in registers.
 */
const VEC4_CONV_CASES: ConvCase[] = [
  cc([2, 12, 9, 16], 12, [3, 3], [1, 1], [1, 1]), // FSRCNN mapping layer: lead 3
  cc([2, 1, 12, 48], 56, [9, 9], [4, 4], [4, 4]), // the ×4 layer's input gradient; weight gradient with C = 1 (7 channels a block)
  cc([2, 1, 8, 24], 56, [5, 5], [1, 1], [2, 2]), // FSRCNN's first layer: weight gradient with C = 1 (8 channels a block)
  cc([2, 3, 7, 20], 5, [5, 5], [1, 1], [2, 2]), // lead 2
  cc([1, 56, 5, 8], 12, [1, 1], [1, 1], [0, 0]), // a 1×1 window
  cc([1, 3, 6, 8], 4, [7, 7], [1, 1], [3, 3]), // lead 1
  cc([1, 2, 5, 12], 3, [9, 9], [1, 1], [4, 4]), // a 24-input window
  cc([1, 3, 9, 40], 7, [3, 3], [2, 2], [1, 1]), // stride 2: the weight gradient's window slides 2 vec4s a step
  cc([2, 4, 6, 32], 6, [5, 5], [2, 2], [0, 0]), // WO = 14: vec4 forward, scalar weight gradient
];

/**
 * Random geometries: batch 1–3, channels from {1,3,12}, kernels 1–5 per axis, strides 1–4, paddings 0–4, inputs
 * up to 20×20; drawn again until the (transposed, with output padding 0) convolution has an output. `aligned`:
 * widths a multiple of 4 up to 28 (and for a convolution, its output width too): the vec4 kernels.
 */
function randomConvCases(seed: number, count: number, transposed: boolean, aligned = false): ConvCase[] {
  const rng = new Rng(seed);
  const out: ConvCase[] = [];
  while (out.length < count) {
    const k: [number, number] = [rng.int(1, 5), rng.int(1, 5)];
    const s: [number, number] = [rng.int(1, 4), rng.int(1, 4)];
    const p: [number, number] = [rng.int(0, 4), rng.int(0, 4)];
    const H = rng.int(1, 20), W = aligned ? 4 * rng.int(1, 7) : rng.int(1, 20);
    const size = transposed ? (i: number, n: number) => convTransposeOutSize(n, k[i], s[i], p[i], 0) : (i: number, n: number) => convOutSize(n, k[i], s[i], p[i]);
    if (size(0, H) < 1 || size(1, W) < 1) continue;
    if (aligned && !transposed && size(1, W) % 4 !== 0) continue;
    out.push(cc([rng.int(1, 3), rng.pick([1, 3, 12]), H, W], rng.pick([1, 3, 12]), k, s, p));
  }
  return out;
}

const ALL_CONV_CASES = [...CONV_CASES, ...VEC4_CONV_CASES, ...randomConvCases(400, 8, false), ...randomConvCases(450, 6, false, true)];
const convName = ({ x, o, k, s, p }: ConvCase) => `x${fmt(x)} O=${o} k=${k.join("×")} s=${s.join(",")} p=${p.join(",")}`;

describe("conv2d (with and without bias, with and without a PReLU epilogue)", () => {
  ALL_CONV_CASES.forEach((cs, k) => {
    const { x: xShape, o: O, k: [KH, KW], s, p } = cs;
    const [N, C, H, W] = xShape;
    const HO = convOutSize(H, KH, s[0], p[0]), WO = convOutSize(W, KW, s[1], p[1]);
    agreement(`${convName(cs)} → [${N},${O},${HO},${WO}]`, async (h) => {
      const rng = new Rng(500 + k);
      const wShape: Shape4 = [O, C, KH, KW];
      const x = h.up(rng.normals(sizeOf(xShape)));
      const w = h.up(rng.normals(sizeOf(wShape), 1 / Math.sqrt(C * KH * KW)));
      const bias = h.up(rng.normals(O));
      const g = { stride: s, padding: p };
      const n = N * O * HO * WO;
      await h.agree(h.both((b, st) => b.conv2d(st(x), xShape, st(w), wShape, st(bias), g)), n, `conv2d+bias ${convName(cs)}`);
      await h.agree(h.both((b, st) => b.conv2d(st(x), xShape, st(w), wShape, null, g)), n, `conv2d ${convName(cs)}`);
      // the fused PReLU epilogue: one shared slope, and one per output channel (negative ones included)
      const shared = h.up([0.25]), perChannel = h.up(rng.uniforms(O, -0.5, 0.75));
      await h.agree(h.both((b, st) => b.conv2d(st(x), xShape, st(w), wShape, st(bias), g, { slope: st(shared), perChannel: false })), n, `conv2d+bias+prelu ${convName(cs)}`);
      await h.agree(h.both((b, st) => b.conv2d(st(x), xShape, st(w), wShape, null, g, { slope: st(perChannel), perChannel: true })), n, `conv2d+prelu-c ${convName(cs)}`);
      // for a training step: the pre-activation stored as well as the activation
      for (const [slope, pc, b] of [[shared, false, bias], [perChannel, true, null]] as const) {
        const gr = gpu().conv2dPreluKeep(x.g, xShape, w.g, wShape, b && b.g, g, { slope: slope.g, perChannel: pc });
        const cr = cpu.conv2dPreluKeep(x.c, xShape, w.c, wShape, b && b.c, g, { slope: slope.c, perChannel: pc });
        const label = `conv2dPreluKeep${pc ? " per channel" : " shared, bias"} ${convName(cs)}`;
        await h.agree(h.track({ g: gr.pre, c: cr.pre }), n, `${label}: pre-activation`);
        await h.agree(h.track({ g: gr.y, c: cr.y }), n, `${label}: activation`);
      }
    });
  });
});

describe("conv2dWeightGrad", () => {
  ALL_CONV_CASES.forEach((cs, k) => {
    const { x: xShape, o: O, k: kernel, s, p } = cs;
    const [N, C, H, W] = xShape;
    const dyShape: Shape4 = [N, O, convOutSize(H, kernel[0], s[0], p[0]), convOutSize(W, kernel[1], s[1], p[1])];
    agreement(`${convName(cs)}, dy ${fmt(dyShape)}`, async (h) => {
      const rng = new Rng(600 + k);
      const x = h.up(rng.normals(sizeOf(xShape)));
      const dy = h.up(rng.normals(sizeOf(dyShape)));
      const n = O * C * kernel[0] * kernel[1];
      await h.agree(
        h.both((b, st) => b.conv2dWeightGrad(st(x), xShape, st(dy), dyShape, kernel, { stride: s, padding: p })),
        n,
        `conv2dWeightGrad ${convName(cs)}`,
      );
    });
  });
});

const CONVT_CASES: ConvCase[] = [
  cc([2, 56, 7, 6], 1, [9, 9], [3, 3], [3, 3]), // FSRCNN ×3 deconvolution
  cc([2, 3, 5, 6], 12, [3, 3], [2, 2], [1, 1]),
  cc([1, 12, 4, 5], 3, [2, 5], [2, 3], [0, 2]), // non-square, per-axis stride and padding
  cc([2, 1, 3, 4], 1, [1, 1], [4, 4], [0, 0]), // 1×1 at stride 4: most outputs are bias only
  cc([1, 5, 4, 4], 7, [4, 4], [4, 4], [0, 0]),
  cc([2, 4, 6, 7], 3, [5, 5], [1, 1], [2, 2]),
  cc([1, 3, 5, 5], 2, [2, 2], [3, 3], [0, 0]), // kernel smaller than stride: gaps
  cc([2, 2, 6, 5], 3, [9, 9], [2, 2], [4, 4]),
  cc([3, 12, 9, 7], 12, [3, 3], [1, 1], [0, 0]),
  cc([1, 3, 4, 6], 2, [5, 3], [4, 1], [2, 1]),
  // rows a multiple of 4 wide: vec4 input windows
  cc([2, 56, 5, 8], 1, [9, 9], [4, 4], [4, 4]), // FSRCNN ×4 deconvolution
  cc([2, 12, 7, 12], 12, [3, 3], [1, 1], [1, 1]), // a 3×3 conv's input gradient
  cc([1, 12, 5, 16], 56, [1, 1], [1, 1], [0, 0]),
  cc([2, 3, 4, 8], 2, [5, 5], [2, 2], [2, 2]),
  cc([1, 4, 3, 4], 1, [4, 4], [2, 2], [1, 1]),
  // stride 1 runs as a conv with flipped weights, unless the padding exceeds K − 1 (here along H)
  cc([2, 3, 9, 8], 4, [3, 3], [1, 1], [3, 1]),
];

const ALL_CONVT_CASES = [...CONVT_CASES, ...randomConvCases(700, 6, true), ...randomConvCases(750, 4, true, true)];

describe("convTranspose2d (with and without bias, every valid output padding)", () => {
  ALL_CONVT_CASES.forEach((cs, k) => {
    const { x: xShape, o: O, k: [KH, KW], s, p } = cs;
    const [N, C, H, W] = xShape;
    const pads: [number, number][] = [];
    for (let oy = 0; oy < s[0]; oy++) for (let ox = 0; ox < s[1]; ox++) pads.push([oy, ox]);
    agreement(`${convName(cs)}, output paddings ${pads.map((q) => q.join(",")).join(" ")}`, async (h) => {
      const rng = new Rng(800 + k);
      const wShape: Shape4 = [C, O, KH, KW];
      const x = h.up(rng.normals(sizeOf(xShape)));
      const w = h.up(rng.normals(sizeOf(wShape), 1 / Math.sqrt(C)));
      const bias = h.up(rng.normals(O));
      const g = { stride: s, padding: p };
      let tested = 0;
      for (const [opy, opx] of pads) {
        const outHW: [number, number] = [convTransposeOutSize(H, KH, s[0], p[0], opy), convTransposeOutSize(W, KW, s[1], p[1], opx)];
        if (outHW[0] < 1 || outHW[1] < 1) continue;
        const n = N * O * outHW[0] * outHW[1];
        const label = `convTranspose2d ${convName(cs)} outHW=${outHW.join("×")}`;
        await h.agree(h.both((b, st) => b.convTranspose2d(st(x), xShape, st(w), wShape, st(bias), g, outHW)), n, `${label} +bias`);
        await h.agree(h.both((b, st) => b.convTranspose2d(st(x), xShape, st(w), wShape, null, g, outHW)), n, label);
        tested++;
      }
      expect(tested, "at least one valid output size").toBeGreaterThan(0);
    });
  });
});

// ---------------------------------------------------------------- grouped convolutions

/**
 * Grouped geometries (groups > 1: a tuned convolution per group on copied channels): IDN's g = 4, depthwise (g = C)
 * with and without a channel multiplier, 1×1, strides and paddings other than 1.
 */
const GROUPED_CASES: (ConvCase & { groups: number })[] = [
  { ...cc([2, 16, 9, 7], 16, [3, 3], [1, 1], [1, 1]), groups: 4 }, // IDN-style, 4 channels per group
  { ...cc([2, 12, 11, 9], 12, [3, 3], [2, 2], [1, 1]), groups: 12 }, // depthwise, stride 2
  { ...cc([1, 6, 8, 13], 12, [5, 3], [1, 3], [2, 0]), groups: 6 }, // depthwise, channel multiplier 2
  { ...cc([3, 8, 5, 6], 6, [1, 1], [1, 1], [0, 0]), groups: 2 }, // grouped 1×1
  { ...cc([1, 6, 10, 9], 9, [4, 2], [3, 2], [3, 1]), groups: 3 }, // padding past the kernel's reach
  { ...cc([1, 128, 5, 4], 128, [3, 3], [1, 1], [1, 1]), groups: 2 }, // 73,728 weights: read from storage
];

describe("grouped conv2d (bias, PReLU epilogue), convTranspose2d (every output padding) and conv2dWeightGrad", () => {
  GROUPED_CASES.forEach((cs, k) => {
    const { x: xShape, o: O, k: [KH, KW], s, p, groups } = cs;
    const [N, C, H, W] = xShape;
    const yShape: Shape4 = [N, O, convOutSize(H, KH, s[0], p[0]), convOutSize(W, KW, s[1], p[1])];
    agreement(`${convName(cs)} groups=${groups} → ${fmt(yShape)}`, async (h) => {
      const rng = new Rng(1300 + k);
      const wShape: Shape4 = [O, C / groups, KH, KW];
      const x = h.up(rng.normals(sizeOf(xShape)));
      const w = h.up(rng.normals(sizeOf(wShape), 1 / Math.sqrt(sizeOf(wShape) / O)));
      const bias = h.up(rng.normals(O)), xBias = h.up(rng.normals(C));
      const g = { stride: s, padding: p, groups };
      const n = sizeOf(yShape), label = `${convName(cs)} groups=${groups}`;
      await h.agree(h.both((b, st) => b.conv2d(st(x), xShape, st(w), wShape, st(bias), g)), n, `conv2d+bias ${label}`);
      await h.agree(h.both((b, st) => b.conv2d(st(x), xShape, st(w), wShape, null, g)), n, `conv2d ${label}`);
      const shared = h.up([0.25]), perChannel = h.up(rng.uniforms(O, -0.5, 0.75));
      await h.agree(h.both((b, st) => b.conv2d(st(x), xShape, st(w), wShape, null, g, { slope: st(shared), perChannel: false })), n, `conv2d+prelu ${label}`);
      await h.agree(h.both((b, st) => b.conv2d(st(x), xShape, st(w), wShape, st(bias), g, { slope: st(perChannel), perChannel: true })), n, `conv2d+bias+prelu-c ${label}`);
      const dy = h.up(rng.normals(n));
      await h.agree(h.both((b, st) => b.conv2dWeightGrad(st(x), xShape, st(dy), yShape, [KH, KW], g)), sizeOf(wShape), `conv2dWeightGrad ${label}`);
      // w [O, C/g, KH, KW] read as a transposed conv's weight maps dy's O channels back to C, for every output padding
      for (let opy = 0; opy < s[0]; opy++) {
        for (let opx = 0; opx < s[1]; opx++) {
          const outHW: [number, number] = [convTransposeOutSize(yShape[2], KH, s[0], p[0], opy), convTransposeOutSize(yShape[3], KW, s[1], p[1], opx)];
          const m = N * C * outHW[0] * outHW[1];
          await h.agree(h.both((b, st) => b.convTranspose2d(st(dy), yShape, st(w), wShape, st(xBias), g, outHW)), m, `convTranspose2d+bias ${label} outHW=${outHW.join("×")}`);
        }
      }
    });
  });
});

// ---------------------------------------------------------------- prelu

// the last: 36,864 elements a channel, which the backward sums in two chunks per channel (prelu.ts)
const PRELU_SHAPES: Shape4[] = [[2, 12, 7, 9], [1, 1, 1, 1], [3, 56, 5, 3], [1, 3, 1, 1000], [4, 1, 33, 31], [2, 56, 17, 19], [4, 2, 96, 96]];

describe("prelu and preluBackward (shared slope and per channel)", () => {
  for (const perChannel of [false, true]) {
    agreement(`${perChannel ? "per-channel" : "shared"} slope over ${PRELU_SHAPES.map(fmt).join(" ")}`, async (h) => {
      const rng = new Rng(perChannel ? 901 : 900);
      for (const shape of PRELU_SHAPES) {
        const n = sizeOf(shape), slopes = perChannel ? shape[1] : 1;
        const xs = rng.normals(n);
        for (let i = 0; i < n; i += 11) xs[i] = 0; // x = 0 takes the slope branch on both sides
        const x = h.up(xs);
        const slope = h.up(rng.uniforms(slopes, -0.5, 0.75));
        const dy = h.up(rng.normals(n));
        const label = `${perChannel ? "per-channel" : "shared"} ${fmt(shape)}`;
        await h.exact(h.both((b, s) => b.prelu(s(x), shape, s(slope), perChannel)), n, `prelu ${label}`);
        const gr = gpu().preluBackward(x.g, shape, slope.g, perChannel, dy.g);
        const cr = cpu.preluBackward(x.c, shape, slope.c, perChannel, dy.c);
        const dx = h.track({ g: gr.dx, c: cr.dx }), dslope = h.track({ g: gr.dslope, c: cr.dslope });
        await h.exact(dx, n, `preluBackward dx ${label}`);
        await h.agree(dslope, slopes, `preluBackward dslope ${label}`);
        // with the bias gradient of the conv before it (runs by channel even for a shared slope)
        const gb = gpu().preluBackward(x.g, shape, slope.g, perChannel, dy.g, true);
        const cb = cpu.preluBackward(x.c, shape, slope.c, perChannel, dy.c, true);
        await h.exact(h.track({ g: gb.dx, c: cb.dx }), n, `preluBackward+bias dx ${label}`);
        await h.agree(h.track({ g: gb.dslope, c: cb.dslope }), slopes, `preluBackward+bias dslope ${label}`);
        await h.agree(h.track({ g: gb.dbias!, c: cb.dbias! }), shape[1], `preluBackward+bias dbias ${label}`);
      }
    });
  }
});

// ---------------------------------------------------------------- pixel shuffle and channel copies (exact: they only move values)

const SHUFFLE_CASES: [Shape4, number][] = [[[2, 12, 7, 9], 2], [[1, 9, 13, 11], 3], [[3, 32, 5, 4], 4], [[1, 4, 1, 1], 2], [[2, 5, 3, 7], 1], [[1, 64, 33, 31], 2]];

describe("pixelShuffle and pixelUnshuffle", () => {
  agreement(`shuffle, unshuffle and their round trip over ${SHUFFLE_CASES.map(([s, r]) => `${fmt(s)}×${r}`).join(" ")}`, async (h) => {
    const rng = new Rng(1400);
    for (const [shape, r] of SHUFFLE_CASES) {
      const [N, C, H, W] = shape, n = sizeOf(shape);
      const x = h.up(rng.normals(n));
      const y = h.both((b, s) => b.pixelShuffle(s(x), shape, r));
      await h.exact(y, n, `pixelShuffle ${fmt(shape)} r=${r}`);
      const back = h.both((b, s) => b.pixelUnshuffle(s(y), [N, C / (r * r), H * r, W * r], r));
      await h.exact(back, n, `pixelUnshuffle of it`);
      const { c } = await h.read(back, n, "round trip");
      expect(maxAbsDiff(c, (await h.read(x, n, "x")).c), `unshuffle(shuffle(x)) = x for ${fmt(shape)} r=${r}`).toBe(0);
    }
  });
});

describe("concatChannels and sliceChannels", () => {
  // planes of 35 and 1 (scalar copies), 16 and 4 (vec4 copies)
  const PLANES: [number, number][] = [[7, 5], [1, 1], [4, 4], [2, 2]];
  agreement(`concatenations and every slice of the result, planes ${PLANES.map((p) => p.join("×")).join(" ")}`, async (h) => {
    const rng = new Rng(1500);
    for (const [H, W] of PLANES) {
      for (const [N, channels] of [[1, [3]], [2, [1, 4, 2]], [3, [12, 56]], [2, [5, 1, 1, 3, 2]]] as [number, number[]][]) {
        const shapes = channels.map((C): Shape4 => [N, C, H, W]);
        const xs = shapes.map((s) => h.up(rng.normals(sizeOf(s))));
        const total = channels.reduce((a, c) => a + c, 0), yShape: Shape4 = [N, total, H, W];
        const label = `${shapes.map(fmt).join(" + ")}`;
        const y = h.both((b, s) => b.concatChannels(xs.map(s), shapes));
        await h.exact(y, sizeOf(yShape), `concatChannels ${label}`);
        // slicing the inputs back out gives them again
        let start = 0;
        for (const [k, C] of channels.entries()) {
          const part = h.both((b, s) => b.sliceChannels(s(y), yShape, start, C));
          await h.exact(part, sizeOf(shapes[k]!), `sliceChannels ${fmt(yShape)} at ${start}`);
          expect(maxAbsDiff((await h.read(part, sizeOf(shapes[k]!), "part")).g, (await h.read(xs[k]!, sizeOf(shapes[k]!), "input")).g), `input ${k} of ${label} back`).toBe(0);
          start += C;
        }
        // and a slice across the inputs' boundaries
        if (total > 2) await h.exact(h.both((b, s) => b.sliceChannels(s(y), yShape, 1, total - 2)), N * (total - 2) * H * W, `sliceChannels ${fmt(yShape)} 1 … ${total - 2}`);
      }
    }
  });
});

// ---------------------------------------------------------------- separable resampling (bicubic resizing)

/** x, then the output height and width: enlarged, shrunk (antialiased), one of each, single rows and columns */
const RESAMPLE_CASES: [Shape4, number, number][] = [[[2, 3, 11, 7], 22, 14], [[1, 2, 9, 13], 27, 39], [[3, 1, 30, 17], 10, 6], [[2, 2, 20, 13], 7, 29], [[1, 1, 1, 5], 4, 20]];

describe("resample2d", () => {
  agreement(`bicubic matrices and their transposes, height or width first, over ${RESAMPLE_CASES.map(([s, h, w]) => `${fmt(s)}→${h}×${w}`).join(" ")}`, async (h) => {
    const rng = new Rng(1600);
    for (const [shape, outH, outW] of RESAMPLE_CASES) {
      const [N, C, H, W] = shape;
      const rows = bicubicAxis(H, outH, outH / H, true), cols = bicubicAxis(W, outW, outW / W, true);
      const x = h.up(rng.normals(sizeOf(shape)));
      for (const heightFirst of [true, false]) {
        const label = `${fmt(shape)} → ${outH}×${outW}, ${heightFirst ? "height" : "width"} first`;
        const y = h.both((b, s) => b.resample2d(s(x), shape, rows.forward, cols.forward, heightFirst));
        await h.agree(y, N * C * outH * outW, `resample2d ${label}`);
        const back = h.both((b, s) => b.resample2d(s(y), [N, C, outH, outW], rows.transposed, cols.transposed, !heightFirst));
        await h.agree(back, sizeOf(shape), `resample2d transposed, ${label}`);
      }
    }
  });
});

// ---------------------------------------------------------------- fused VID negative log-likelihood

describe("nll and nllBackward (Laplace and Gaussian)", () => {
  for (const kind of ["laplace", "gaussian"] as const) {
    agreement(`${kind}: terms and both gradients, odd lengths`, async (h) => {
      const rng = new Rng(kind === "laplace" ? 950 : 951);
      const [a, eps] = kind === "laplace" ? [0.1, 1e-8] : [0.001, 1e-8];
      for (const n of [1, 257, 4099]) {
        const mu = h.up(rng.normals(n)), target = h.up(rng.normals(n)), scale = h.up(rng.uniforms(n, 0.05, 3));
        const g = h.up([0.7]);
        await h.agree(h.both((b, s) => b.nll(kind, s(mu), s(scale), s(target), a, eps)), n, `nll ${kind} n=${n}`);
        const gr = gpu().nllBackward(kind, mu.g, scale.g, target.g, a, eps, g.g, 1 / n);
        const cr = cpu.nllBackward(kind, mu.c, scale.c, target.c, a, eps, g.c, 1 / n);
        await h.agree(h.track({ g: gr.dmu, c: cr.dmu }), n, `nllBackward ${kind} dmu n=${n}`);
        await h.agree(h.track({ g: gr.dscale, c: cr.dscale }), n, `nllBackward ${kind} dscale n=${n}`);
      }
    });
  }
});

// ---------------------------------------------------------------- optimizers

/** Gradients with zeros and magnitudes from 1e-3 to 1e3 mixed in. */
function gradient(rng: Rng, n: number): Float32Array {
  const g = rng.normals(n);
  for (let i = 0; i < n; i++) {
    if (i % 17 === 0) g[i] = 0;
    else if (i % 13 === 0) g[i] *= 1e3;
    else if (i % 7 === 0) g[i] *= 1e-3;
  }
  return g;
}

const ADAM_CASES: (Omit<AdamHyper, "step"> & { what: string })[] = [
  { what: "defaults", lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
  { what: "weight decay 0.01", lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 },
  { what: "large lr, betas (0.5, 0.9), eps 1e-3, weight decay 0.1", lr: 0.1, beta1: 0.5, beta2: 0.9, eps: 1e-3, weightDecay: 0.1 },
];

describe("adam: several steps in a row, checking param, m and v", () => {
  ADAM_CASES.forEach(({ what, ...hyper }, k) => {
    agreement(what, async (h) => {
      const rng = new Rng(1000 + k);
      const n = 4099;
      const p0 = rng.normals(n);
      const param = h.up(p0);
      const m = h.both((b) => b.fill(n, 0)), v = h.both((b) => b.fill(n, 0));
      for (let step = 1; step <= 6; step++) {
        const grad = h.up(gradient(rng, n));
        const hy: AdamHyper = { ...hyper, step };
        gpu().adam(param.g, grad.g, m.g, v.g, hy);
        cpu.adam(param.c, grad.c, m.c, v.c, hy);
        await h.agree(m, n, `adam ${what} step ${step}: m`);
        await h.agree(v, n, `adam ${what} step ${step}: v`);
        const p = await h.read(param, n, "param");
        expect(relErr(p.g, p.c), `adam ${what} step ${step}: param`).toBeLessThanOrEqual(TOL);
        // the accumulated update itself, not just the parameter it is small against
        const dg = p.g.map((x, i) => x - p0[i]), dc = p.c.map((x, i) => x - p0[i]);
        const err = relErr(dg, dc);
        note(`adam-update ${what} step ${step}`, err);
        expect(err, `adam ${what} step ${step}: param − param₀ rel err ${err}`).toBeLessThanOrEqual(TOL);
        h.release(grad);
      }
    });
  });
});

const SGD_CASES: (Omit<SgdHyper, "first"> & { what: string })[] = [
  { what: "plain (momentum 0)", lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false },
  { what: "momentum 0 with weight decay", lr: 0.05, momentum: 0, dampening: 0, weightDecay: 0.01, nesterov: false },
  { what: "momentum 0.9", lr: 0.05, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false },
  { what: "momentum 0.9, nesterov, weight decay 1e-3", lr: 0.05, momentum: 0.9, dampening: 0, weightDecay: 1e-3, nesterov: true },
  { what: "momentum 0.9, dampening 0.5", lr: 0.05, momentum: 0.9, dampening: 0.5, weightDecay: 0, nesterov: false },
  { what: "momentum 0.5, dampening 0.1, weight decay 0.01", lr: 0.2, momentum: 0.5, dampening: 0.1, weightDecay: 0.01, nesterov: false },
];

describe("sgd: several steps in a row, the first one flagged", () => {
  SGD_CASES.forEach(({ what, ...hyper }, k) => {
    agreement(what, async (h) => {
      const rng = new Rng(1100 + k);
      const n = 3001;
      const param = h.up(rng.normals(n));
      // stale values in the momentum buffer: the first step must overwrite them (or, at momentum 0, leave them alone)
      const stale = rng.normals(n, 7);
      const buf = h.up(stale);
      for (let step = 1; step <= 4; step++) {
        const grad = h.up(gradient(rng, n));
        const hy: SgdHyper = { ...hyper, first: step === 1 };
        gpu().sgd(param.g, grad.g, buf.g, hy);
        cpu.sgd(param.c, grad.c, buf.c, hy);
        await h.agree(param, n, `sgd ${what} step ${step}: param`);
        if (hyper.momentum === 0) {
          const b = await h.read(buf, n, "buffer");
          expect(maxAbsDiff(b.g, stale), `sgd ${what}: momentum 0 leaves the buffer alone`).toBe(0);
        } else await h.agree(buf, n, `sgd ${what} step ${step}: momentum buffer`);
        h.release(grad);
      }
    });
  });
});

// ---------------------------------------------------------------- tensors past 65535 workgroups (2-D folded grid)

describe("more than 65535×256 elements (runtime.grid folds the launch into 2-D)", () => {
  // 16,962,257 elements: 66,259 workgroups of 256 for the elementwise kernels, and 66,001 outputs (one workgroup
  // each) for the row sum, both past the 65,535 per dimension. Small integers keep every result exact in float32.
  const ROWS: Shape4 = [1, 1, 66_001, 257];
  const BIG = sizeOf(ROWS);
  agreement(
    `fill, unary, row sums and the total sum of ${fmt(ROWS)} (${BIG} elements)`,
    async (h) => {
      const limit = gpu().rt.device.limits.maxComputeWorkgroupsPerDimension;
      expect(Math.ceil(BIG / 256), "the elementwise launch must pass the 1-D limit").toBeGreaterThan(limit);
      expect(ROWS[2], "the row-sum launch must pass the 1-D limit").toBeGreaterThan(limit);

      const f = await h.read(h.both((b) => b.fill(BIG, -2.5)), BIG, "fill");
      expect(f.g.every((v) => v === -2.5), "fill reaches every element, the last rows of the grid included").toBe(true);

      const x = h.up(new Rng(1200).ints(BIG, -3, 3));
      await h.exact(h.both((b, s) => b.unary("square", s(x))), BIG, "square");
      await h.exact(h.both((b, s) => b.sum(s(x), ROWS, [false, false, false, true], 0.5)), ROWS[2], "row sums × 0.5 (folded grid)");
      await h.exact(h.both((b, s) => b.sum(s(x), ROWS, [true, true, true, true], 1)), 1, "total sum");
    },
    120_000,
  );
});

describe("launches past the per-dimension workgroup limit (lowered to 3 for this test)", () => {
  // The convolutions loop their spatial workgroups, the elementwise kernels and sums fold into 2-D grids.
  agreement("conv2d, convTranspose2d, conv2dWeightGrad, prelu, unary, sums, pixelShuffle, concatChannels and resample2d", async (h) => {
    const rt = gpu().rt;
    const saved = rt.maxGroups;
    rt.maxGroups = 3;
    try {
      const rng = new Rng(1250);
      const xShape: Shape4 = [2, 3, 150, 29], wShape: Shape4 = [5, 3, 3, 3], g = { stride: [1, 1] as [number, number], padding: [1, 1] as [number, number] };
      const n = sizeOf(xShape), yShape: Shape4 = [2, 5, 150, 29]; // 300 spatial blocks: 5 workgroups of 64, looped by 3
      const x = h.up(rng.normals(n)), w = h.up(rng.normals(sizeOf(wShape))), bias = h.up(rng.normals(5));
      const y = h.both((b, s) => b.conv2d(s(x), xShape, s(w), wShape, s(bias), g));
      await h.agree(y, sizeOf(yShape), "conv2d with 3 workgroups per dimension");
      await h.agree(h.both((b, s) => b.convTranspose2d(s(y), yShape, s(w), wShape, null, g, [150, 29])), n, "convTranspose2d with 3 workgroups per dimension");
      await h.agree(h.both((b, s) => b.conv2dWeightGrad(s(x), xShape, s(y), yShape, [3, 3], g)), sizeOf(wShape), "conv2dWeightGrad with 3 workgroups per dimension");
      const slope = h.up([0.25]);
      await h.exact(h.both((b, s) => b.prelu(s(x), xShape, s(slope), false)), n, "prelu with 3 workgroups per dimension");
      await h.exact(h.both((b, s) => b.unary("square", s(x))), n, "square with 3 workgroups per dimension");
      await h.exact(h.both((b, s) => b.pixelShuffle(s(x), [2, 9, 50, 29], 3)), n, "pixelShuffle ×3 with 3 workgroups per dimension");
      await h.exact(h.both((b, s) => b.concatChannels([s(x), s(x)], [xShape, xShape])), 2 * n, "concatChannels with 3 workgroups per dimension");
      const rows = bicubicAxis(150, 300, 2, true), cols = bicubicAxis(29, 58, 2, true);
      await h.agree(h.both((b, s) => b.resample2d(s(x), xShape, rows.forward, cols.forward, true)), 4 * n, "resample2d ×2 with 3 workgroups per dimension");
      await h.agree(h.both((b, s) => b.sum(s(x), xShape, [true, false, true, true], 1)), 3, "per-channel sum with 3 workgroups per dimension");
      await h.agree(h.both((b, s) => b.sum(s(x), xShape, [false, true, false, false], 1)), n / 3, "channel sum with 3 workgroups per dimension");
    } finally {
      rt.maxGroups = saved;
    }
  });
});

// ---------------------------------------------------------------- write

describe("write", () => {
  agreement("overwrites storage in order with queued work; wrong lengths are refused", async (h) => {
    const rng = new Rng(1300);
    for (const n of [1, 257, 4099]) {
      const a = rng.normals(n), b = Array.from(rng.normals(n)); // a Float32Array, then a plain array
      const x = h.up(a);
      const before = h.both((be, s) => be.unary("neg", s(x))); // queued before the write: must see a
      gpu().write(x.g, b);
      cpu.write(x.c, b);
      const after = h.both((be, s) => be.unary("neg", s(x))); // queued after: must see b
      await h.exact(before, n, `write n=${n}: kernel queued before`);
      await h.exact(after, n, `write n=${n}: kernel queued after`);
      await h.exact(x, n, `write n=${n}: the storage`);
      const { g } = await h.read(before, n, "before");
      expect(maxAbsDiff(g, a.map((v) => -v)), "the kernel queued before the write read the old data").toBe(0);
      expect(maxAbsDiff((await h.read(x, n, "x")).g, Float32Array.from(b)), "the written data").toBe(0);
      expect(() => gpu().write(x.g, new Float32Array(n + 1))).toThrow(/write/);
      expect(() => cpu.write(x.c, new Float32Array(n + 1))).toThrow(/write/);
    }
  });
});

// ---------------------------------------------------------------- memory accounting

describe("memory()", () => {
  test.skipIf(skip)("live counts storages; release returns them to the pool, which the next allocation reuses", async () => {
    const g = gpu();
    const start = g.memory();
    const x = g.upload(new Float32Array(1000).fill(-1));
    const y = g.unary("abs", x);
    const slope = g.fill(1, 0.25);
    const { dx, dslope } = g.preluBackward(x, [1, 1, 10, 100], slope, false, y); // its scratch buffer must not stay live
    expect(g.memory().live - start.live).toBe(5);
    expect(Array.from(await g.read(dslope))).toEqual([-1000]);
    for (const s of [x, y, slope, dx, dslope]) g.release(s);
    const after = g.memory();
    expect(after.live).toBe(start.live);
    // the five storages and preluBackward's scratch all sit in the pool now: four of 1000 floats, two of one
    expect(after.pooled).toBeGreaterThanOrEqual(6);
    expect(after.pooledBytes).toBeGreaterThanOrEqual(4 * 4000 + 2 * 16);
    // an allocation of a pooled size takes a buffer from the pool
    const z = g.fill(1000, 1);
    expect(g.memory().pooled).toBe(after.pooled - 1);
    expect(g.memory().live).toBe(start.live + 1);
    g.release(z);
    expect(() => g.release(z)).toThrow(/after release/);
    expect(g.memory().live).toBe(start.live);
  });
});
