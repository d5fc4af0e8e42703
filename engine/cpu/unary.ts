// Reference kernels of the unary ops: y = f(x) and dx = dy · f'(x), with f taken from engine/unary-table.ts.

import type { FloatArray, UnaryArgs } from "../backend.ts";
import { type UnaryOp, unaryOpSpec } from "../unary-table.ts";

type Alloc = (n: number) => FloatArray;

/**
 * Clamp bounds rounded to the storage precision, as x itself is. In float32, x = f32(0.3) then lies within
 * max 0.3 and passes its gradient, as PyTorch and the WebGPU kernel compare; against the double 0.3 it would not.
 */
function boundsInStorage(args: UnaryArgs, alloc: Alloc): [lo: number, hi: number] {
  if (args.min === undefined && args.max === undefined) return [-Infinity, Infinity];
  const b = alloc(2);
  b[0] = args.min ?? -Infinity;
  b[1] = args.max ?? Infinity;
  return [b[0], b[1]];
}

export function unary(op: UnaryOp, x: FloatArray, args: UnaryArgs, alloc: Alloc): FloatArray {
  const { f } = unaryOpSpec(op).cpu;
  const [lo, hi] = boundsInStorage(args, alloc);
  const y = alloc(x.length);
  for (let i = 0; i < x.length; i++) y[i] = f(x[i], lo, hi);
  return y;
}

export function unaryBackward(op: UnaryOp, x: FloatArray, dy: FloatArray, args: UnaryArgs, alloc: Alloc): FloatArray {
  const { df } = unaryOpSpec(op).cpu;
  const [lo, hi] = boundsInStorage(args, alloc);
  const dx = alloc(x.length);
  for (let i = 0; i < x.length; i++) dx[i] = dy[i] * df(x[i], lo, hi);
  return dx;
}
