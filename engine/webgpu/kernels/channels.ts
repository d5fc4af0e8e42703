// Concatenation and slicing along channels, both made of shaders/copy_channels.wgsl dispatches.

import copyChannelsWgsl from "../../../shaders/copy_channels.wgsl" with { type: "text" };
import { sizeOf, type Shape4 } from "../../shape.ts";
import { type GpuRuntime, Params } from "../runtime.ts";
import { elementType } from "./element-type.ts";

/** Channels srcStart … srcStart + count − 1 of src [N, srcC, H, W] into channels dstStart … of dst [N, dstC, H, W]. */
function copyChannels(
  rt: GpuRuntime, src: GPUBuffer, [N, srcC, H, W]: Shape4, srcStart: number, dst: GPUBuffer, dstC: number, dstStart: number, count: number,
): void {
  const type = elementType((H * W) % 4 === 0);
  const plane = (H * W) / type.width;
  const params = new Params().u32(N, count * plane, srcC * plane, srcStart * plane, dstC * plane, dstStart * plane);
  rt.dispatch({ key: `copy_channels${type.key}`, code: type.code + copyChannelsWgsl, params, buffers: [src, dst], workgroups: rt.elementwiseGrid(count * plane) });
}

/** xs[k] [N, C_k, H, W] → [N, ΣC_k, H, W] */
export function concatChannels(rt: GpuRuntime, xs: readonly GPUBuffer[], shapes: readonly Shape4[]): GPUBuffer {
  const [N, , H, W] = shapes[0]!;
  const total = shapes.reduce((c, s) => c + s[1], 0);
  const y = rt.acquire(sizeOf([N, total, H, W]));
  let start = 0;
  xs.forEach((x, k) => {
    copyChannels(rt, x, shapes[k]!, 0, y, total, start, shapes[k]![1]);
    start += shapes[k]![1];
  });
  return y;
}

/** channels start … start + length − 1 of x [N, C, H, W] → [N, length, H, W] */
export function sliceChannels(rt: GpuRuntime, x: GPUBuffer, shape: Shape4, start: number, length: number): GPUBuffer {
  const y = rt.acquire(sizeOf([shape[0], length, shape[2], shape[3]]));
  copyChannels(rt, x, shape, start, y, length, 0, length);
  return y;
}
