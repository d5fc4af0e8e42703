// Grouped convolutions (ConvGeometry.groups > 1) as one tuned convolution of conv.ts per group: each group's
// channels are copied out of the operands, and the groups' outputs copied side by side. The kernels bind whole
// buffers, so the copies are what lets a group run on them. They cost little next to the convolutions: groups 4,
// 64 → 64 channels, 3×3, batch 8 at 32×32 on lavapipe took about 17 ms forward, 12 ms input gradient and 17 ms
// weight gradient (the same layer ungrouped about 85 ms each), where a plain kernel of one output per invocation
// took 165 ms each. Depthwise (64 groups of one channel), same shapes: about 16 ms each, as with the plain kernel.

import { type ConvGeometry, groupsOf } from "../../backend.ts";
import { convOutSize, type Shape4 } from "../../shape.ts";
import type { GpuRuntime } from "../runtime.ts";
import { concatChannels, sliceChannels } from "./channels.ts";
import * as conv from "./conv.ts";

/** An operand split along dimension 1 of `shape`, `channels` per group. */
interface Split {
  buf: GPUBuffer;
  shape: Shape4;
  channels: number;
}

/** The per-group copies of operands T: a buffer for each operand, null where the operand may be null. */
type Parts<T> = { [K in keyof T]: null extends T[K] ? GPUBuffer | null : GPUBuffer };

/**
 * `run` once per group q on the operands' channels q·channels … (q + 1)·channels − 1, the groups' outputs, each
 * of `outShape`, joined along dimension 1.
 */
function perGroup<T extends Record<string, Split | null>>(
  rt: GpuRuntime, groups: number, operands: T, outShape: Shape4, run: (parts: Parts<T>) => GPUBuffer,
): GPUBuffer {
  const outs: GPUBuffer[] = [];
  for (let q = 0; q < groups; q++) {
    const parts: Record<string, GPUBuffer | null> = {};
    for (const [k, o] of Object.entries(operands)) parts[k] = o && sliceChannels(rt, o.buf, o.shape, q * o.channels, o.channels);
    outs.push(run(parts as Parts<T>));
    // the dispatches that read the copies run before any reuse of their buffers
    for (const b of Object.values(parts)) if (b) rt.giveBack(b);
  }
  const y = concatChannels(rt, outs, outs.map(() => outShape));
  for (const o of outs) rt.giveBack(o);
  return y;
}

const ungrouped = (g: ConvGeometry): ConvGeometry => ({ stride: g.stride, padding: g.padding });

/** x [N, C, H, W] ⋆ w [O, C/g, KH, KW] (+ bias [O]) → [N, O, HO, WO], then `prelu` if given. */
export function conv2d(
  rt: GpuRuntime, x: GPUBuffer, xShape: Shape4, w: GPUBuffer, [O, CG, KH, KW]: Shape4, bias: GPUBuffer | null, g: ConvGeometry,
  prelu: { slope: GPUBuffer; perChannel: boolean } | null,
): GPUBuffer {
  const [N, , H, W] = xShape, groups = groupsOf(g), OG = O / groups;
  const HO = convOutSize(H, KH, g.stride[0], g.padding[0]), WO = convOutSize(W, KW, g.stride[1], g.padding[1]);
  const perChannel = (b: GPUBuffer): Split => ({ buf: b, shape: [1, O, 1, 1], channels: OG });
  const operands = {
    x: { buf: x, shape: xShape, channels: CG },
    w: { buf: w, shape: [1, O, CG * KH * KW, 1] as Shape4, channels: OG },
    bias: bias && perChannel(bias),
    slope: prelu?.perChannel ? perChannel(prelu.slope) : null,
  };
  return perGroup(rt, groups, operands, [N, OG, HO, WO], (p) => {
    const act = prelu && { slope: p.slope ?? prelu.slope, perChannel: prelu.perChannel };
    return conv.conv2d(rt, p.x, [N, CG, H, W], p.w, [OG, CG, KH, KW], p.bias, ungrouped(g), act);
  });
}

/** x [N, C, H, W], w [C, O/g, KH, KW] (+ bias [O]) → [N, O, outHW]. */
export function convTranspose2d(
  rt: GpuRuntime, x: GPUBuffer, xShape: Shape4, w: GPUBuffer, [, OG, KH, KW]: Shape4, bias: GPUBuffer | null, g: ConvGeometry,
  outHW: readonly [number, number],
): GPUBuffer {
  const [N, C, H, W] = xShape, groups = groupsOf(g), CG = C / groups;
  const operands = {
    x: { buf: x, shape: xShape, channels: CG },
    w: { buf: w, shape: [1, C, OG * KH * KW, 1] as Shape4, channels: CG },
    bias: bias && { buf: bias, shape: [1, OG * groups, 1, 1] as Shape4, channels: OG },
  };
  return perGroup(rt, groups, operands, [N, OG, outHW[0], outHW[1]], (p) =>
    conv.convTranspose2d(rt, p.x, [N, CG, H, W], p.w, [CG, OG, KH, KW], p.bias, ungrouped(g), outHW));
}

/** ∂L/∂w [O, C/g, KH, KW] of conv2d from its input x [N, C, H, W] and output gradient dy [N, O, HO, WO]. */
export function conv2dWeightGrad(
  rt: GpuRuntime, x: GPUBuffer, xShape: Shape4, dy: GPUBuffer, dyShape: Shape4, [KH, KW]: readonly [number, number], g: ConvGeometry,
): GPUBuffer {
  const [N, C, H, W] = xShape, [, O, HO, WO] = dyShape, groups = groupsOf(g), CG = C / groups, OG = O / groups;
  const operands = { x: { buf: x, shape: xShape, channels: CG }, dy: { buf: dy, shape: dyShape, channels: OG } };
  // a group's [OG, CG, KH, KW] block is rows q·OG … of the whole [O, CG, KH, KW]
  return perGroup(rt, groups, operands, [1, OG * CG * KH * KW, 1, 1], (p) =>
    conv.conv2dWeightGrad(rt, p.x, [N, CG, H, W], p.dy, [N, OG, HO, WO], [KH, KW], ungrouped(g)));
}
