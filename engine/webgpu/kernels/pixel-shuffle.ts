// Pixel shuffle and its inverse: the two entry points of shaders/pixel_shuffle.wgsl.

import pixelShuffleWgsl from "../../../shaders/pixel_shuffle.wgsl" with { type: "text" };
import { sizeOf, type Shape4 } from "../../shape.ts";
import { type GpuRuntime, Params } from "../runtime.ts";

/**
 * `shuffle`: x [N, C·r², H, W] → [N, C, H·r, W·r]; `unshuffle`: the reverse. `shape` is the [N, C·r², H, W] side's
 * either way.
 */
export function pixelShuffle(rt: GpuRuntime, entry: "shuffle" | "unshuffle", x: GPUBuffer, shape: Shape4, r: number): GPUBuffer {
  const n = sizeOf(shape);
  const y = rt.acquire(n);
  rt.dispatch({
    key: "pixel_shuffle", entry, code: pixelShuffleWgsl, params: new Params().u32(n, r, shape[2], shape[3]), buffers: [x, y],
    workgroups: rt.elementwiseGrid(n),
  });
  return y;
}
