// Every elementwise unary op, declared once: its value and derivative on the CPU reference backend and as WGSL
// expressions, from which the WebGPU backend generates one kernel per op (engine/webgpu/kernels/unary.ts). Adding
// an op here gives it both backends; the tests iterate over this table, so it cannot skip them.
//
// Conventions at kinks, as PyTorch's: |x|' = sign(x) (0 at 0), sign' = 0, and clamp passes the gradient where
// lo ≤ x ≤ hi, bounds included.

import softplusWgsl from "../shaders/softplus.wgsl" with { type: "text" };
import { sigmoid, softplus } from "./cpu/softplus.ts";

/** A scalar function of x; lo and hi are clamp's bounds (−∞ and ∞ when not given), which the other ops ignore. */
type ScalarFn = (x: number, lo: number, hi: number) => number;

export interface UnaryOpSpec {
  /** y = f(x) and f'(x) in double precision; the CPU backend stores the result in its dtype (float32 or float64) */
  cpu: { f: ScalarFn; df: ScalarFn };
  /**
   * f(x) and f'(x) as f32 WGSL expressions in x, lo and hi, and the WGSL functions they call. Unset bounds reach
   * the kernel as ∓3.4e38, not ∓∞.
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
    cpu: { f: (x, lo, hi) => Math.min(Math.max(x, lo), hi), df: (x, lo, hi) => (x >= lo && x <= hi ? 1 : 0) },
    wgsl: { f: "clamp(x, lo, hi)", df: "select(0.0, 1.0, x >= lo && x <= hi)" },
  },
  sign: {
    cpu: { f: Math.sign, df: () => 0 },
    wgsl: { f: "sign(x)", df: "0.0" },
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
