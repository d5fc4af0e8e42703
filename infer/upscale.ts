// Running a trained network on whole images: the Y plane goes through the model in LR tiles with a margin
// as wide as the network's receptive field, so the stitched output equals an untiled pass, while no tensor
// exceeds the device's buffer limit.

import type { Backend } from "../engine/backend.ts";
import { noGrad, Tensor, tidy } from "../engine/index.ts";
import type { PisrModel } from "../models/pisr.ts";
import { mergeChannels, rgbToYcbcr, splitChannels, ycbcrToRgb } from "../image/color.ts";
import { imresize } from "../image/resize.ts";
import { type Image, makePlane, type Plane } from "../image/types.ts";

import type { FsrcnnConfig } from "../models/fsrcnn.ts";

/**
 * LR pixels of context each side of a tile for an FSRCNN: the 5×5 feature extraction reaches 2, each of the m
 * 3×3 mapping layers 1, the 1×1 layers nothing, and the 9×9 transposed conv (padding 4, stride = scale) reads
 * LR pixels up to ⌈4 / scale⌉ + 1 from an HR pixel's own (its position rounds down).
 */
export function tileMargin(config: Required<Pick<FsrcnnConfig, "m" | "scale">>): number {
  return 2 + config.m + Math.ceil(4 / config.scale) + 1;
}

export interface UpscaleOptions {
  /** LR tile side; by default the largest whose widest activation (d channels) fits the device */
  tile?: number;
  /** called after each tile (a progress bar for large images) */
  onTile?: (done: number, total: number) => void;
}

export function defaultTile(backend: Backend, channels: number, margin: number): number {
  const elements = Math.min(backend.maxElements, 1 << 26) / channels;
  return Math.max(32, Math.floor(Math.sqrt(elements)) - 2 * margin);
}

async function runTile(model: PisrModel, backend: Backend, lr: Plane, x0: number, y0: number, w: number, h: number): Promise<Float32Array> {
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) data.set(lr.data.subarray((y0 + y) * lr.width + x0, (y0 + y) * lr.width + x0 + w), y * w);
  const out = tidy(() => noGrad(() => model.forward(Tensor.fromArray(data, [1, 1, h, w], { backend }))));
  const values = await out.toArray();
  out.dispose();
  return values;
}

/** LR Y plane in [0, 1] → HR Y plane (scale× larger), unclamped float. */
export async function upscalePlane(model: PisrModel, backend: Backend, lr: Plane, opts: UpscaleOptions = {}): Promise<Plane> {
  if (model.architecture === "teacher") throw new Error("the teacher needs the HR image; upscale with a student or baseline checkpoint");
  const s = model.config.scale;
  const margin = tileMargin(model.config);
  const tile = opts.tile ?? defaultTile(backend, model.config.d, margin);
  const W = lr.width, H = lr.height;
  const out = makePlane(W * s, H * s);
  const total = Math.ceil(W / tile) * Math.ceil(H / tile);
  let done = 0;
  for (let ty = 0; ty < H; ty += tile) {
    for (let tx = 0; tx < W; tx += tile) {
      const tw = Math.min(tile, W - tx), th = Math.min(tile, H - ty);
      // the tile plus its margin, clipped to the image (the image border is zero padding either way)
      const x0 = Math.max(0, tx - margin), y0 = Math.max(0, ty - margin);
      const x1 = Math.min(W, tx + tw + margin), y1 = Math.min(H, ty + th + margin);
      const pw = (x1 - x0) * s;
      const values = await runTile(model, backend, lr, x0, y0, x1 - x0, y1 - y0);
      for (let y = 0; y < th * s; y++) {
        const src = (y + (ty - y0) * s) * pw + (tx - x0) * s;
        out.data.set(values.subarray(src, src + tw * s), (ty * s + y) * out.width + tx * s);
      }
      opts.onTile?.(++done, total);
    }
  }
  return out;
}

/**
 * A grey or RGB image (float, [0, 1]) → scale× larger: a grey image goes through the network as it is; RGB goes
 * to YCbCr, Y through the network, Cb and Cr by MATLAB bicubic, and back — the SR convention.
 */
export async function upscaleImage(model: PisrModel, backend: Backend, img: Image, opts: UpscaleOptions = {}): Promise<Image> {
  if (img.channels === 1) return upscalePlane(model, backend, img as Plane, opts);
  if (img.channels !== 3) throw new Error(`upscaleImage takes 1 or 3 channels, got ${img.channels}`);
  const s = model.config.scale;
  const [y, cb, cr] = splitChannels(rgbToYcbcr(img));
  const big = await upscalePlane(model, backend, y as Plane, opts);
  return ycbcrToRgb(mergeChannels([big, imresize(cb, s), imresize(cr, s)]));
}
