// Sub-pixel upsampling (ESPCN, CARN, IDN's last stages): channels rearranged into space, as torch.nn.PixelShuffle.

import { Tensor } from "../tensor.ts";
import { shape4 } from "./common.ts";

/**
 * x [N, C·r², H, W] (or [C·r², H, W]) → [N, C, H·r, W·r], in PyTorch's order: out[n, c, h·r + i, w·r + j] =
 * x[n, c·r² + i·r + j, h, w]. Its gradient is the inverse rearrangement (pixel unshuffle).
 */
export function pixelShuffle(x: Tensor, r: number): Tensor {
  if (!Number.isInteger(r) || r < 1) throw new Error(`pixelShuffle: upscale factor must be a positive integer, got ${r}`);
  if (x.rank < 3) throw new Error(`pixelShuffle: input must be [N, C, H, W] or [C, H, W], got [${x.shape}]`);
  const xs = shape4(x);
  const [, C, H, W] = xs;
  if (C % (r * r) !== 0) throw new Error(`pixelShuffle: ${C} channels of input [${x.shape}] are not a multiple of r² = ${r * r}`);
  const shape = [...x.shape.slice(0, -3), C / (r * r), H * r, W * r];
  const be = x.backend;
  return Tensor.fromOp("pixelShuffle", be, be.pixelShuffle(x.storage, xs, r), shape, [x], (g) => [
    Tensor.fromStorage(be, be.pixelUnshuffle(g.storage, shape4(g), r), x.shape),
  ]);
}
