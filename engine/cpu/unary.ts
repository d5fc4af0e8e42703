// Reference kernels of the unary ops: y = f(x) and dx = dy · f'(x), with f taken from engine/unary-table.ts.

import type { FloatArray } from "../backend.ts";
import { type UnaryArgs, unaryArgValues, type UnaryOp, unaryOpSpec } from "../unary-table.ts";

type Alloc = (n: number) => FloatArray;

/**
 * The op's arguments rounded to the storage precision, as x itself is (and as PyTorch and the WebGPU kernel see
 * them). In float32, x = f32(0.3) then lies within clamp's max 0.3 and passes its gradient; against the double
 * 0.3 it would not.
 */
function argsInStorage(op: UnaryOp, args: UnaryArgs, alloc: Alloc): [a0: number, a1: number] {
  const a = alloc(2);
  a.set(unaryArgValues(op, unaryOpSpec(op), args));
  return [a[0], a[1]];
}

export function unary(op: UnaryOp, x: FloatArray, args: UnaryArgs, alloc: Alloc): FloatArray {
  const { f } = unaryOpSpec(op).cpu;
  const [a0, a1] = argsInStorage(op, args, alloc);
  const y = alloc(x.length);
  for (let i = 0; i < x.length; i++) y[i] = f(x[i], a0, a1);
  return y;
}

export function unaryBackward(op: UnaryOp, x: FloatArray, dy: FloatArray, args: UnaryArgs, alloc: Alloc): FloatArray {
  const { df } = unaryOpSpec(op).cpu;
  const [a0, a1] = argsInStorage(op, args, alloc);
  const dx = alloc(x.length);
  for (let i = 0; i < x.length; i++) dx[i] = dy[i] * df(x[i], a0, a1);
  return dx;
}
