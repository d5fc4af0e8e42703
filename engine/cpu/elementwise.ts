// Elementwise reference kernels: unary maps, their derivatives, and broadcasting binary ops.

import type { BinaryOp, FloatArray, UnaryArgs, UnaryOp } from "../backend.ts";
import type { Shape4 } from "../shape.ts";
import { broadcastStrides, sizeOf } from "../shape.ts";

type Alloc = (n: number) => FloatArray;

/** log(1 + eˣ) without overflow for large x or loss of precision for very negative x. */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function unaryFn(op: UnaryOp, args: UnaryArgs): (x: number) => number {
  switch (op) {
    case "neg": return (x) => -x;
    case "abs": return Math.abs;
    case "exp": return Math.exp;
    case "log": return Math.log;
    case "sqrt": return Math.sqrt;
    case "square": return (x) => x * x;
    case "softplus": return softplus;
    case "sign": return (x) => Math.sign(x);
    case "clamp": {
      const lo = args.min ?? -Infinity, hi = args.max ?? Infinity;
      return (x) => Math.min(Math.max(x, lo), hi);
    }
  }
}

/** f'(x), with PyTorch's conventions at kinks: |x|' = sign(x) (0 at 0); clamp passes gradient where lo ≤ x ≤ hi. */
export function unaryDerivative(op: UnaryOp, args: UnaryArgs): (x: number) => number {
  switch (op) {
    case "neg": return () => -1;
    case "abs": return (x) => Math.sign(x);
    case "exp": return Math.exp;
    case "log": return (x) => 1 / x;
    case "sqrt": return (x) => 0.5 / Math.sqrt(x);
    case "square": return (x) => 2 * x;
    case "softplus": return sigmoid;
    case "sign": return () => 0;
    case "clamp": {
      const lo = args.min ?? -Infinity, hi = args.max ?? Infinity;
      return (x) => (x >= lo && x <= hi ? 1 : 0);
    }
  }
}

/**
 * Clamp bounds rounded to the storage precision, as x itself is. In float32, x = f32(0.3) then lies within
 * max 0.3 and passes its gradient, as PyTorch and the WebGPU kernel compare; against the double 0.3 it would not.
 */
function boundsInStorage(args: UnaryArgs, alloc: Alloc): UnaryArgs {
  if (args.min === undefined && args.max === undefined) return args;
  const b = alloc(2);
  b[0] = args.min ?? 0;
  b[1] = args.max ?? 0;
  return { min: args.min === undefined ? undefined : b[0], max: args.max === undefined ? undefined : b[1] };
}

export function unary(op: UnaryOp, x: FloatArray, args: UnaryArgs, alloc: Alloc): FloatArray {
  const f = unaryFn(op, boundsInStorage(args, alloc));
  const y = alloc(x.length);
  for (let i = 0; i < x.length; i++) y[i] = f(x[i]);
  return y;
}

export function unaryBackward(op: UnaryOp, x: FloatArray, dy: FloatArray, args: UnaryArgs, alloc: Alloc): FloatArray {
  const df = unaryDerivative(op, boundsInStorage(args, alloc));
  const dx = alloc(x.length);
  for (let i = 0; i < x.length; i++) dx[i] = dy[i] * df(x[i]);
  return dx;
}

const binaryFns: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
};

export function binary(op: BinaryOp, a: FloatArray, aShape: Shape4, b: FloatArray, bShape: Shape4, out: Shape4, alloc: Alloc): FloatArray {
  const f = binaryFns[op];
  const sa = broadcastStrides(aShape, out), sb = broadcastStrides(bShape, out);
  const y = alloc(sizeOf(out));
  let i = 0;
  for (let n = 0; n < out[0]; n++)
    for (let c = 0; c < out[1]; c++)
      for (let h = 0; h < out[2]; h++) {
        let ia = n * sa[0] + c * sa[1] + h * sa[2], ib = n * sb[0] + c * sb[1] + h * sb[2];
        for (let w = 0; w < out[3]; w++, ia += sa[3], ib += sb[3]) y[i++] = f(a[ia], b[ib]);
      }
  return y;
}
