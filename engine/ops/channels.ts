// Joining and cutting tensors along channels (dimension 1), as torch.cat and torch.narrow restricted to dim 1:
// what dense and cascading blocks (CARN, IDN) and channel splits need. Other dimensions are not supported.
// Inputs of rank 2 to 4 are viewed as [N, C, rest, 1].

import type { Storage } from "../backend.ts";
import type { Shape4 } from "../shape.ts";
import { Tensor } from "../tensor.ts";
import { backendOf } from "./common.ts";

/** Throws unless `dim` names dimension 1 of a rank-`rank` tensor (counting from the end when negative). */
function checkChannelDim(op: string, dim: number, rank: number): void {
  if ((dim < 0 ? dim + rank : dim) !== 1) throw new Error(`${op}: only dim 1 (channels) is supported, got dim ${dim} of a rank-${rank} tensor`);
}

/** The tensor's shape as [N, C, rest, 1]. */
function channelView(op: string, x: Tensor): Shape4 {
  if (x.rank < 2) throw new Error(`${op}: input [${x.shape}] has no channel dimension (dimension 1)`);
  return [x.shape[0]!, x.shape[1]!, x.size / (x.shape[0]! * x.shape[1]!), 1];
}

/** The tensors joined along dim 1 (torch.cat(tensors, 1)); all other dimensions must match. Every input gets its gradient. */
export function concat(tensors: readonly Tensor[], dim = 1): Tensor {
  if (!tensors.length) throw new Error("concat: no tensors");
  const first = tensors[0]!;
  checkChannelDim("concat", dim, first.rank);
  for (const t of tensors) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== 1 && d !== first.shape[i])) {
      throw new Error(`concat: shapes [${first.shape}] and [${t.shape}] differ outside dimension 1`);
    }
  }
  const be = backendOf("concat", ...tensors);
  const views = tensors.map((t) => channelView("concat", t));
  const shape = [...first.shape];
  shape[1] = views.reduce((c, v) => c + v[1], 0);
  const y = be.concatChannels(tensors.map((t) => t.storage), views);
  return Tensor.fromOp("concat", be, y, shape, [...tensors], (g) => {
    const gv: Shape4 = [shape[0]!, shape[1]!, views[0]![2], 1];
    let start = 0;
    return tensors.map((t, k) => {
      const c = views[k]![1], from = start;
      start += c;
      return t.requiresGrad ? Tensor.fromStorage(be, be.sliceChannels(g.storage, gv, from, c), t.shape) : null;
    });
  });
}

/** Channels start … start + length − 1 along dim 1 (torch.narrow(x, 1, start, length)), as a new tensor. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkChannelDim("narrow", dim, x.rank);
  const xv = channelView("narrow", x);
  const C = xv[1];
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 1 || start + length > C) {
    throw new Error(`narrow: channels ${start} … ${start + length - 1} are not within the ${C} of input [${x.shape}]`);
  }
  const be = x.backend;
  const shape = [...x.shape];
  shape[1] = length;
  return Tensor.fromOp("narrow", be, be.sliceChannels(x.storage, xv, start, length), shape, [x], (g) => {
    // the gradient is g between blocks of zeros: the channels outside the slice get none
    const [N, , rest] = xv;
    const zeros = (c: number): Storage => be.fill(N * c * rest, 0);
    const pieces: { s: Storage; c: number }[] = [{ s: g.storage, c: length }];
    if (start > 0) pieces.unshift({ s: zeros(start), c: start });
    if (C - start - length > 0) pieces.push({ s: zeros(C - start - length), c: C - start - length });
    const dx = be.concatChannels(pieces.map((p) => p.s), pieces.map((p): Shape4 => [N, p.c, rest, 1]));
    for (const p of pieces) if (p.s !== g.storage) be.release(p.s);
    return [Tensor.fromStorage(be, dx, x.shape)];
  });
}
