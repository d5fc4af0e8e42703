// conv2d and convTranspose2d. Their gradients reuse the same three kernels: the input gradient of one
// is the forward of the other, and both weight gradients are conv2dWeightGrad with roles swapped. A grouped
// conv2d (opts.groups) passes its groups to all three in the geometry.

import type { ConvGeometry } from "../backend.ts";
import { convOutShape, convTransposeOutSize, type Shape4 } from "../shape.ts";
import { gradEnabled } from "../context.ts";
import { Tensor } from "../tensor.ts";
import { backendOf, pair, shape4 } from "./common.ts";
import { checkSlopes } from "./prelu.ts";

export interface ConvOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  /** channel groups g, as torch's: the weight is [O, C/g, kh, kw]; g must divide C and O (g = C: depthwise) */
  groups?: number;
}

export interface ConvTransposeOptions extends Omit<ConvOptions, "groups"> {
  outputPadding?: number | [number, number];
}

function geometry(op: string, opts: ConvOptions, groups = 1): ConvGeometry {
  const stride = pair(opts.stride ?? 1, `${op} stride`);
  if (stride[0] < 1 || stride[1] < 1) throw new Error(`${op}: stride must be ≥ 1, got ${opts.stride}`);
  return { stride, padding: pair(opts.padding ?? 0, `${op} padding`), groups };
}

/** Checks that `groups` is a positive integer that divides both channel counts. */
export function checkGroups(op: string, groups: number, inChannels: number, outChannels: number): void {
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${op}: groups must be a positive integer, got ${groups}`);
  if (inChannels % groups !== 0) throw new Error(`${op}: ${inChannels} input channels are not a multiple of groups = ${groups}`);
  if (outChannels % groups !== 0) throw new Error(`${op}: ${outChannels} output channels are not a multiple of groups = ${groups}`);
}

function checkConvInputs(op: string, x: Tensor, w: Tensor, bias: Tensor | null, inAxis: number, outAxis: number, groups = 1): void {
  if (x.rank !== 4) throw new Error(`${op}: input must be [N, C, H, W], got [${x.shape}]`);
  if (w.rank !== 4) throw new Error(`${op}: weight must be 4-D, got [${w.shape}]`);
  checkGroups(op, groups, x.shape[1], w.shape[outAxis]);
  if (w.shape[inAxis] * groups !== x.shape[1]) {
    const perGroup = groups === 1 ? "" : ` (${w.shape[inAxis]} per group × ${groups} groups)`;
    throw new Error(`${op}: weight [${w.shape}] expects ${w.shape[inAxis] * groups} input channels${perGroup}, input [${x.shape}] has ${x.shape[1]}`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== w.shape[outAxis])) {
    throw new Error(`${op}: bias must be [${w.shape[outAxis]}], got [${bias.shape}]`);
  }
}

function biasGrad(g: Tensor): Tensor {
  const be = g.backend;
  return Tensor.fromStorage(be, be.sum(g.storage, shape4(g), [true, false, true, true], 1), [g.shape[1]]);
}

/** Checks conv2d's operands; returns its backend, geometry and shapes. */
function conv2dPlan(op: string, x: Tensor, w: Tensor, bias: Tensor | null, opts: ConvOptions, more: (Tensor | null)[] = []) {
  const groups = opts.groups ?? 1;
  checkConvInputs(op, x, w, bias, 1, 0, groups);
  const be = backendOf(op, x, w, bias, ...more);
  const g = geometry(op, opts, groups);
  const xs = shape4(x), ws = shape4(w);
  const ys = convOutShape(xs, ws, g);
  if (ys[2] < 1 || ys[3] < 1) throw new Error(`${op}: kernel ${ws[2]}×${ws[3]} with padding [${g.padding}] does not fit input [${x.shape}]`);
  return { be, g, xs, ws, ys };
}

/** x [N,C,H,W] ⋆ w [O,C/g,kh,kw] + bias [O] → [N,O,Ho,Wo] with g = opts.groups (1 unless given), as torch.nn.functional.conv2d. */
export function conv2d(x: Tensor, w: Tensor, bias: Tensor | null = null, opts: ConvOptions = {}): Tensor {
  const { be, g, xs, ws, ys } = conv2dPlan("conv2d", x, w, bias, opts);
  const y = be.conv2d(x.storage, xs, w.storage, ws, bias?.storage ?? null, g);
  return Tensor.fromOp("conv2d", be, y, [...ys], [x, w, bias], (dy) => [...convGrads(dy, x, xs, w, ws, g), bias?.requiresGrad ? biasGrad(dy) : null]);
}

/** conv2d's input and weight gradients from its output's, dy (null for an operand that needs none). */
function convGrads(dy: Tensor, x: Tensor, xs: Shape4, w: Tensor, ws: Shape4, g: ConvGeometry): [Tensor | null, Tensor | null] {
  const be = dy.backend, ys = shape4(dy);
  const [, , H, W] = xs, [, , KH, KW] = ws;
  return [
    x.requiresGrad ? Tensor.fromStorage(be, be.convTranspose2d(dy.storage, ys, w.storage, ws, null, g, [H, W]), x.shape) : null,
    w.requiresGrad ? Tensor.fromStorage(be, be.conv2dWeightGrad(x.storage, xs, dy.storage, ys, [KH, KW], g), w.shape) : null,
  ];
}

/**
 * prelu(conv2d(x, w, bias), slope) — one slope, or one per output channel. When no gradient is recorded
 * (inference, a frozen teacher) it is one kernel that writes the activation alone. In training the kernel writes
 * the pre-activation too (the PReLU's backward reads it), and the backward's PReLU pass also sums the bias
 * gradient: two passes fewer than conv2d then prelu (bench/NOTES.md, entry 46).
 */
export function conv2dPrelu(x: Tensor, w: Tensor, bias: Tensor | null, slope: Tensor, opts: ConvOptions = {}): Tensor {
  const { be, g, xs, ws, ys } = conv2dPlan("conv2dPrelu", x, w, bias, opts, [slope]);
  const perChannel = checkSlopes("conv2dPrelu", slope, ws[0], `${ws[0]} output channels`);
  const act = { slope: slope.storage, perChannel };
  if (!gradEnabled() || ![x, w, bias, slope].some((t) => t?.requiresGrad)) {
    return Tensor.fromStorage(be, be.conv2d(x.storage, xs, w.storage, ws, bias?.storage ?? null, g, act), [...ys]);
  }
  const { pre, y } = be.conv2dPreluKeep(x.storage, xs, w.storage, ws, bias?.storage ?? null, g, act);
  // not part of the graph: the backward's, freed with the scope that made it (as conv2d's output would be)
  const preActivation = Tensor.fromStorage(be, pre, [...ys]);
  return Tensor.fromOp("conv2dPrelu", be, y, [...ys], [x, w, bias, slope], (dy) => {
    const r = be.preluBackward(preActivation.storage, ys, slope.storage, perChannel, dy.storage, !!bias?.requiresGrad);
    const dpre = Tensor.fromStorage(be, r.dx, [...ys]);
    const grads = convGrads(dpre, x, xs, w, ws, g);
    dpre.dispose();
    const dslope = Tensor.fromStorage(be, r.dslope, slope.shape);
    return [
      ...grads,
      r.dbias && Tensor.fromStorage(be, r.dbias, [ws[0]]),
      slope.requiresGrad ? dslope : (dslope.dispose(), null),
    ];
  });
}

/** x [N,C,H,W], w [C,O,kh,kw] (PyTorch's layout) + bias [O] → [N,O,Ho,Wo], as conv_transpose2d. */
export function convTranspose2d(x: Tensor, w: Tensor, bias: Tensor | null = null, opts: ConvTransposeOptions = {}): Tensor {
  checkConvInputs("convTranspose2d", x, w, bias, 0, 1);
  const be = backendOf("convTranspose2d", x, w, bias);
  const g = geometry("convTranspose2d", opts);
  const op = pair(opts.outputPadding ?? 0, "convTranspose2d outputPadding");
  if (op[0] >= g.stride[0] || op[1] >= g.stride[1]) throw new Error(`convTranspose2d: outputPadding [${op}] must be smaller than stride [${g.stride}]`);
  const xs = shape4(x), ws = shape4(w);
  const [N, , H, W] = xs, [, O, KH, KW] = ws;
  const HO = convTransposeOutSize(H, KH, g.stride[0], g.padding[0], op[0]);
  const WO = convTransposeOutSize(W, KW, g.stride[1], g.padding[1], op[1]);
  if (HO < 1 || WO < 1) throw new Error(`convTranspose2d: padding [${g.padding}] leaves no output for input [${x.shape}]`);
  const y = be.convTranspose2d(x.storage, xs, w.storage, ws, bias?.storage ?? null, g, [HO, WO]);
  return Tensor.fromOp("convTranspose2d", be, y, [N, O, HO, WO], [x, w, bias], (dy) => {
    const dys: Shape4 = [N, O, HO, WO];
    return [
      // w [C,O,kh,kw] read as a conv2d weight maps O channels back to C
      x.requiresGrad ? Tensor.fromStorage(be, be.conv2d(dy.storage, dys, w.storage, ws, null, g), x.shape) : null,
      w.requiresGrad ? Tensor.fromStorage(be, be.conv2dWeightGrad(dy.storage, dys, x.storage, xs, [KH, KW], g), w.shape) : null,
      bias?.requiresGrad ? biasGrad(dy) : null,
    ];
  });
}
