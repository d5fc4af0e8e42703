// MATLAB-bicubic resizing of NCHW batches, differentiable: VDSR's input is the bicubic-upscaled LR image, and
// in a PISR teacher that LR image is the encoder's output, so the gradient must flow back through the resize.

import { resizedSize } from "../../image/resize.ts";
import { bicubicAxis } from "../bicubic.ts";
import { Tensor } from "../tensor.ts";
import { shape4 } from "./common.ts";

export interface ResizeBicubicOptions {
  /** MATLAB's 'Antialiasing' (default true; only matters when shrinking) */
  antialiasing?: boolean;
}

/**
 * x [N, C, H, W] (or [C, H, W], [H, W]) with every plane resized as image/resize.ts's `imresize(plane, size)`
 * does, i.e. MATLAB `imresize(plane, size, 'bicubic')`: `size` a scale (output ceil(scale·H) × ceil(scale·W)) or
 * an explicit { height, width }. Linear in x with fixed weights; the gradient applies their transpose.
 */
export function resizeBicubic(x: Tensor, size: number | { height: number; width: number }, opts: ResizeBicubicOptions = {}): Tensor {
  if (x.rank < 2) throw new Error(`resizeBicubic: input must be [N, C, H, W], [C, H, W] or [H, W], got [${x.shape}]`);
  const xs = shape4(x);
  const [, , H, W] = xs;
  let outH: number, outW: number, scaleH: number, scaleW: number;
  if (typeof size === "number") {
    if (!(size > 0 && Number.isFinite(size))) throw new Error(`resizeBicubic: scale must be a positive number, got ${size}`);
    ({ height: outH, width: outW } = resizedSize(W, H, size));
    scaleH = scaleW = size;
  } else {
    ({ height: outH, width: outW } = size);
    if (!(Number.isInteger(outH) && Number.isInteger(outW) && outH > 0 && outW > 0)) {
      throw new Error(`resizeBicubic: output size must be positive integers, got ${outH}x${outW}`);
    }
    scaleH = outH / H;
    scaleW = outW / W;
  }
  const antialiasing = opts.antialiasing ?? true;
  const rows = bicubicAxis(H, outH, scaleH, antialiasing), cols = bicubicAxis(W, outW, scaleW, antialiasing);
  // the axis with the smaller scale first (ties: the height), as MATLAB and imresize do: the same rounding
  const heightFirst = scaleH <= scaleW;
  const shape = [...x.shape.slice(0, -2), outH, outW];
  const be = x.backend;
  return Tensor.fromOp("resizeBicubic", be, be.resample2d(x.storage, xs, rows.forward, cols.forward, heightFirst), shape, [x], (g) => [
    Tensor.fromStorage(be, be.resample2d(g.storage, shape4(g), rows.transposed, cols.transposed, !heightFirst), x.shape),
  ]);
}
