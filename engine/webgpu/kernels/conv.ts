import conv2dWgsl from "../../../shaders/conv2d.wgsl" with { type: "text" };
import weightGradWgsl from "../../../shaders/conv2d_weight_grad.wgsl" with { type: "text" };
import convTransposeWgsl from "../../../shaders/conv_transpose2d.wgsl" with { type: "text" };
import type { ConvGeometry } from "../../backend.ts";
import { convOutSize, type Shape4 } from "../../shape.ts";
import { type GpuRuntime, Params } from "../runtime.ts";

/** Each invocation of the conv kernels owns a block of 4 output channels × 4 output columns. */
const BLOCK = 4;
const blocks = (n: number) => Math.ceil(n / BLOCK);

export function conv2d(rt: GpuRuntime, x: GPUBuffer, [N, C, H, W]: Shape4, w: GPUBuffer, [O, , KH, KW]: Shape4, bias: GPUBuffer | null, g: ConvGeometry): GPUBuffer {
  const HO = convOutSize(H, KH, g.stride[0], g.padding[0]), WO = convOutSize(W, KW, g.stride[1], g.padding[1]);
  const y = rt.acquire(N * O * HO * WO);
  const total = N * blocks(O) * HO * blocks(WO);
  const params = new Params().u32(total, C, H, W, O, KH, KW, HO, WO, ...g.stride, ...g.padding, bias ? 1 : 0, blocks(O), blocks(WO));
  // Without a bias the weights stand in for its binding, which the shader never reads.
  rt.dispatch({ key: "conv2d", code: conv2dWgsl, params, buffers: [x, w, bias ?? w, y], workgroups: rt.grid(Math.ceil(total / 64)) });
  return y;
}

export function convTranspose2d(
  rt: GpuRuntime, x: GPUBuffer, [N, C, H, W]: Shape4, w: GPUBuffer, [, O, KH, KW]: Shape4, bias: GPUBuffer | null, g: ConvGeometry,
  [HO, WO]: readonly [number, number],
): GPUBuffer {
  const y = rt.acquire(N * O * HO * WO);
  const sw = g.stride[1];
  // output columns by residue r = (ox + pw) mod sw and quotient q = (ox + pw) div sw
  const qBlocks = blocks(Math.ceil((WO + g.padding[1]) / sw));
  const total = N * blocks(O) * HO * sw * qBlocks;
  const params = new Params().u32(total, C, H, W, O, KH, KW, HO, WO, ...g.stride, ...g.padding, bias ? 1 : 0, blocks(O), qBlocks);
  rt.dispatch({
    key: "conv_transpose2d", code: convTransposeWgsl, params, buffers: [x, w, bias ?? w, y], workgroups: rt.grid(Math.ceil(total / 64)),
  });
  return y;
}

export function conv2dWeightGrad(
  rt: GpuRuntime, x: GPUBuffer, [N, C, H, W]: Shape4, dy: GPUBuffer, [, O, HO, WO]: Shape4, [KH, KW]: readonly [number, number], g: ConvGeometry,
): GPUBuffer {
  const dw = rt.acquire(O * C * KH * KW);
  const groups = blocks(O) * blocks(C) * KH * KW;
  const params = new Params().u32(N, C, H, W, O, KH, KW, HO, WO, ...g.stride, ...g.padding, blocks(O), blocks(C), groups);
  rt.dispatch({ key: "conv2d_weight_grad", code: weightGradWgsl, params, buffers: [x, dy, dw], workgroups: rt.grid(groups) });
  return dw;
}
