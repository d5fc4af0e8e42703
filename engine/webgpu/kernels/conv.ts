import conv2dWgsl from "../../../shaders/conv2d.wgsl" with { type: "text" };
import weightGradWgsl from "../../../shaders/conv2d_weight_grad.wgsl" with { type: "text" };
import convTransposeWgsl from "../../../shaders/conv_transpose2d.wgsl" with { type: "text" };
import type { ConvGeometry } from "../../backend.ts";
import { convOutSize, type Shape4 } from "../../shape.ts";
import { type GpuRuntime, Params } from "../runtime.ts";

/** Default channel block of the weight-gradient kernel. */
const BLOCK = 4;
const blocks = (n: number, size = BLOCK) => Math.ceil(n / size);

/**
 * Register tile of the forward kernels: OT output channels × XT output columns per invocation. Few output
 * channels (FSRCNN's last layer has one) get a long row instead, so no accumulator is wasted.
 */
function tileFor(outChannels: number): { ot: number; xt: number } {
  if (outChannels === 1) return { ot: 1, xt: 16 };
  if (outChannels % 8 === 0) return { ot: 8, xt: 4 };
  return { ot: 4, xt: 4 };
}

function tiled(code: string, t: { ot: number; xt: number }): string {
  return `const OT: u32 = ${t.ot}u;\nconst XT: u32 = ${t.xt}u;\n${code}`;
}

export function conv2d(rt: GpuRuntime, x: GPUBuffer, [N, C, H, W]: Shape4, w: GPUBuffer, [O, , KH, KW]: Shape4, bias: GPUBuffer | null, g: ConvGeometry): GPUBuffer {
  const HO = convOutSize(H, KH, g.stride[0], g.padding[0]), WO = convOutSize(W, KW, g.stride[1], g.padding[1]);
  const y = rt.acquire(N * O * HO * WO);
  const t = tileFor(O);
  const total = N * blocks(O, t.ot) * HO * blocks(WO, t.xt);
  const params = new Params().u32(total, C, H, W, O, KH, KW, HO, WO, ...g.stride, ...g.padding, bias ? 1 : 0, blocks(O, t.ot), blocks(WO, t.xt));
  // Without a bias the weights stand in for its binding, which the shader never reads.
  rt.dispatch({
    key: `conv2d/${t.ot}x${t.xt}`, code: tiled(conv2dWgsl, t), params, buffers: [x, w, bias ?? w, y], workgroups: rt.grid(Math.ceil(total / 64)),
  });
  return y;
}

export function convTranspose2d(
  rt: GpuRuntime, x: GPUBuffer, [N, C, H, W]: Shape4, w: GPUBuffer, [, O, KH, KW]: Shape4, bias: GPUBuffer | null, g: ConvGeometry,
  [HO, WO]: readonly [number, number],
): GPUBuffer {
  const y = rt.acquire(N * O * HO * WO);
  const sw = g.stride[1];
  // output columns by residue r = (ox + pw) mod sw and quotient q = (ox + pw) div sw
  const t = tileFor(O);
  const qBlocks = blocks(Math.ceil((WO + g.padding[1]) / sw), t.xt);
  const total = N * blocks(O, t.ot) * HO * sw * qBlocks;
  const params = new Params().u32(total, C, H, W, O, KH, KW, HO, WO, ...g.stride, ...g.padding, bias ? 1 : 0, blocks(O, t.ot), qBlocks);
  // column taps per output phase, a compile-time constant: each invocation keeps its input window in registers
  const taps = Math.ceil(KW / sw);
  rt.dispatch({
    key: `conv_transpose2d/${t.ot}x${t.xt}/taps${taps}`, code: `const TAPS: u32 = ${taps}u;\n${tiled(convTransposeWgsl, t)}`, params, buffers: [x, w, bias ?? w, y],
    workgroups: rt.grid(Math.ceil(total / 64)),
  });
  return y;
}

/** Channel block of the weight-gradient kernel: 4×4, or a long block when one side has a single channel. */
function weightGradTile(outChannels: number, inChannels: number): { ot: number; ct: number } {
  if (inChannels === 1) return { ot: 16, ct: 1 };
  if (outChannels === 1) return { ot: 1, ct: 16 };
  return { ot: BLOCK, ct: BLOCK };
}

export function conv2dWeightGrad(
  rt: GpuRuntime, x: GPUBuffer, [N, C, H, W]: Shape4, dy: GPUBuffer, [, O, HO, WO]: Shape4, [KH, KW]: readonly [number, number], g: ConvGeometry,
): GPUBuffer {
  const dw = rt.acquire(O * C * KH * KW);
  const t = weightGradTile(O, C);
  const groups = blocks(O, t.ot) * blocks(C, t.ct) * KH * KW;
  const params = new Params().u32(N, C, H, W, O, KH, KW, HO, WO, ...g.stride, ...g.padding, blocks(O, t.ot), blocks(C, t.ct), groups);
  rt.dispatch({
    key: `conv2d_weight_grad/${t.ot}x${t.ct}`, code: `const OT: u32 = ${t.ot}u;\nconst CT: u32 = ${t.ct}u;\n${weightGradWgsl}`, params,
    buffers: [x, dy, dw], workgroups: rt.grid(groups),
  });
  return dw;
}
