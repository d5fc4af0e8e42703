// sum and mean, over everything or over chosen axes.

import { sizeOf, to4d } from "../shape.ts";
import { Tensor } from "../tensor.ts";

export interface ReduceOptions {
  /** axes of the tensor (negative counts from the end); all when omitted */
  axes?: number[];
  keepDims?: boolean;
}

function reduceOp(op: "sum" | "mean", x: Tensor, opts: ReduceOptions): Tensor {
  const rank = x.rank;
  const axes = (opts.axes ?? x.shape.map((_, i) => i)).map((a) => {
    const k = a < 0 ? a + rank : a;
    if (!Number.isInteger(k) || k < 0 || k >= rank) throw new Error(`${op}: axis ${a} is out of range for shape [${x.shape}]`);
    return k;
  });
  const reduced = x.shape.map((_, i) => axes.includes(i));
  const count = sizeOf(x.shape.filter((_, i) => reduced[i]));
  const kept = x.shape.map((d, i) => (reduced[i] ? 1 : d));
  const outShape = opts.keepDims ? kept : x.shape.filter((_, i) => !reduced[i]);
  const mask4 = [...Array(4 - rank).fill(false), ...reduced];
  const scale = op === "mean" ? 1 / count : 1;
  const be = x.backend;
  return Tensor.fromOp(op, be, be.sum(x.storage, to4d(x.shape), mask4, scale), outShape.length ? outShape : [1], [x], (g) => {
    // broadcast the output gradient back over the reduced axes: ∂/∂x = g (· 1/count for mean)
    const ones = be.fill(x.size, scale);
    const gx = be.binary("mul", ones, to4d(x.shape), g.storage, to4d(kept), to4d(x.shape));
    be.release(ones);
    return [Tensor.fromStorage(be, gx, x.shape)];
  });
}

export const sum = (x: Tensor, opts: ReduceOptions = {}): Tensor => reduceOp("sum", x, opts);
export const mean = (x: Tensor, opts: ReduceOptions = {}): Tensor => reduceOp("mean", x, opts);
