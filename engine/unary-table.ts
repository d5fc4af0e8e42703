// Every elementwise unary op, declared once: its value and derivative on the CPU reference backend and as WGSL
// expressions, from which the WebGPU backend generates one kernel per op (engine/webgpu/kernels/unary.ts). Adding
// an op here gives it both backends; the tests iterate over this table, so it cannot skip them.
//
// Conventions at kinks, as PyTorch's: |x|' = sign(x) (0 at 0), sign' = 0, relu'(0) = 0, leakyRelu'(0) = slope, and
// clamp passes the gradient where lo ≤ x ≤ hi, bounds included.
//
// An op may take up to two scalar arguments (clamp's bounds, leakyRelu's slope), declared in its `args`: they reach
// the CPU functions as parameters after x and the kernels as uniforms, so one compiled kernel serves every value.

import softplusWgsl from "../shaders/softplus.wgsl" with { type: "text" };
import { sigmoid, softplus } from "./cpu/softplus.ts";

/** The scalar arguments of the unary ops; each op declares in its `args` which it takes. */
export interface UnaryArgs {
  /** clamp's bounds */
  min?: number;
  max?: number;
  /** leakyRelu's slope for x ≤ 0 */
  slope?: number;
}

/** One scalar argument of an op. */
export interface UnaryArg {
  /** where the caller gives it */
  key: keyof UnaryArgs;
  /** its name in the op's WGSL expressions */
  wgsl: string;
  /** its value when the caller gives none */
  unset: number;
}

/** A scalar function of x and the op's arguments, in the order of its `args` (ops without arguments ignore them). */
type ScalarFn = (x: number, a0: number, a1: number) => number;

export interface UnaryOpSpec {
  /** at most two: the kernels carry two argument slots */
  args?: readonly [UnaryArg] | readonly [UnaryArg, UnaryArg];
  /** y = f(x) and f'(x) in double precision; the CPU backend stores the result in its dtype (float32 or float64) */
  cpu: { f: ScalarFn; df: ScalarFn };
  /**
   * f(x) and f'(x) as f32 WGSL expressions in x and the op's arguments (by their `wgsl` names), and the WGSL
   * functions they call. Infinite arguments reach the kernel as ±3.4e38.
   */
  wgsl: { f: string; df: string; helpers?: string };
}

export const UNARY_OPS = {
  neg: {
    cpu: { f: (x) => -x, df: () => -1 },
    wgsl: { f: "-x", df: "-1.0" },
  },
  abs: {
    cpu: { f: Math.abs, df: Math.sign },
    wgsl: { f: "abs(x)", df: "sign(x)" },
  },
  exp: {
    cpu: { f: Math.exp, df: Math.exp },
    wgsl: { f: "exp(x)", df: "exp(x)" },
  },
  log: {
    cpu: { f: Math.log, df: (x) => 1 / x },
    wgsl: { f: "log(x)", df: "1.0 / x" },
  },
  sqrt: {
    cpu: { f: Math.sqrt, df: (x) => 0.5 / Math.sqrt(x) },
    wgsl: { f: "sqrt(x)", df: "0.5 / sqrt(x)" },
  },
  square: {
    cpu: { f: (x) => x * x, df: (x) => 2 * x },
    wgsl: { f: "x * x", df: "2.0 * x" },
  },
  /** log(1 + eˣ) (PyTorch's softplus with beta = 1), computed without overflow and without a threshold */
  softplus: {
    cpu: { f: softplus, df: sigmoid },
    wgsl: { f: "softplus(x)", df: "sigmoid(x)", helpers: softplusWgsl },
  },
  clamp: {
    args: [{ key: "min", wgsl: "lo", unset: -Infinity }, { key: "max", wgsl: "hi", unset: Infinity }],
    cpu: { f: (x, lo, hi) => Math.min(Math.max(x, lo), hi), df: (x, lo, hi) => (x >= lo && x <= hi ? 1 : 0) },
    wgsl: { f: "clamp(x, lo, hi)", df: "select(0.0, 1.0, x >= lo && x <= hi)" },
  },
  sign: {
    cpu: { f: Math.sign, df: () => 0 },
    wgsl: { f: "sign(x)", df: "0.0" },
  },
  /** max(x, 0) as torch.relu, NaN passed through: a select, not WGSL's max, whose result for NaN is left to the implementation */
  relu: {
    cpu: { f: (x) => (x < 0 ? 0 : x), df: (x) => (x > 0 ? 1 : 0) },
    wgsl: { f: "select(x, 0.0, x < 0.0)", df: "select(0.0, 1.0, x > 0.0)" },
  },
  /** x for x > 0, else slope·x; the slope defaults to PyTorch's negative_slope, 0.01 */
  leakyRelu: {
    args: [{ key: "slope", wgsl: "slope", unset: 0.01 }],
    cpu: { f: (x, slope) => (x > 0 ? x : slope * x), df: (x, slope) => (x > 0 ? 1 : slope) },
    wgsl: { f: "select(slope * x, x, x > 0.0)", df: "select(slope, 1.0, x > 0.0)" },
  },
} satisfies Record<string, UnaryOpSpec>;

export type UnaryOp = keyof typeof UNARY_OPS;

export const UNARY_OP_NAMES = Object.keys(UNARY_OPS) as UnaryOp[];

/**
 * The table's entry for `op`. Throws for a name it does not hold: callers from plain JavaScript, or casts, get an
 * error naming the op rather than some other op's numbers.
 */
export function unaryOpSpec(op: string): UnaryOpSpec {
  // own properties only: "toString" or "constructor" must not resolve through the prototype
  if (!Object.hasOwn(UNARY_OPS, op)) throw new Error(`unknown unary op "${op}" (known: ${UNARY_OP_NAMES.join(", ")})`);
  return UNARY_OPS[op as UnaryOp];
}

/**
 * The values of `op`'s arguments, in the order f and df take them: each from `args`, or its `unset` value; 0 in
 * the slots the op does not use. An argument the op does not take throws, naming both (a slope given to clamp is
 * the caller's mistake, not something to ignore).
 */
export function unaryArgValues(op: string, spec: UnaryOpSpec, args: UnaryArgs): [a0: number, a1: number] {
  const declared = spec.args ?? [];
  for (const [key, value] of Object.entries(args)) {
    if (value !== undefined && !declared.some((a) => a.key === key)) throw new Error(`unary op "${op}" takes no argument "${key}"`);
  }
  const values: [number, number] = [0, 0];
  declared.forEach((a, i) => (values[i] = args[a.key] ?? a.unset));
  return values;
}
