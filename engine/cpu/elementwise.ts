// Elementwise reference kernels: broadcasting binary ops (the unary ones are in unary.ts).

import type { BinaryOp, FloatArray } from "../backend.ts";
import type { Shape4 } from "../shape.ts";
import { broadcastStrides, sizeOf } from "../shape.ts";

type Alloc = (n: number) => FloatArray;

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
