/**
 * Benchmark evaluation on a folder of HR images (Set5, Set14, B100, Urban100 ...), as the SR literature does.
 *
 * Per image:
 *   1. read HR (8-bit PNG/JPEG) and `modcrop` it to a multiple of `scale`;
 *   2. reference Y = `toY(hr)`: MATLAB `rgb2ycbcr(im2double(hr))` Y channel, float in [0,1], unrounded
 *      (greyscale HR: its channel). With `reference: "uint8"` the Y plane is rounded to 8 bits instead, as
 *      MATLAB `rgb2ycbcr` on a uint8 image does (this variant reproduces the published Set5 numbers to
 *      the last digit; see image/README.md);
 *   3. LR Y = `imresize(referenceY, 1 / scale)` (MATLAB bicubic, antialiased), float, not rounded unless
 *      `quantizeLR`. Because imresize and the RGB→Y map are both linear (affine with weights summing to 1),
 *      this equals taking Y of the bicubic-downscaled RGB image (up to float rounding);
 *   4. prediction = `upscaler(lrY, ctx)`, which must have the HR size;
 *   5. PSNR / SSIM (see metrics.ts): prediction quantised to 8 bits, `shave` (= scale) px removed.
 * Means are plain averages over the images of the per-image PSNR (dB) and SSIM.
 */
import { basename } from "node:path";
import { quantize8, toY } from "./color.ts";
import { modcrop } from "./crop.ts";
import { readImage } from "./decode.ts";
import { listImages } from "./files.ts";
import { psnr, ssim } from "./metrics.ts";
import { imresize } from "./resize.ts";
import type { Image, Plane } from "./types.ts";

export interface UpscaleContext {
  /** Integer SR factor. */
  scale: number;
  /** File name of the HR image (no folder). */
  name: string;
  /** Index of the image in the set (sorted by name). */
  index: number;
  /** Size the prediction must have (the modcropped HR size). */
  width: number;
  height: number;
}

/** Maps an LR luma plane (float, [0,1]) to the HR luma plane (scale× larger). */
export type Upscaler = (lrY: Plane, ctx: UpscaleContext) => Promise<Plane> | Plane;

/** The bicubic baseline: MATLAB `imresize(lrY, scale, 'bicubic')`. */
export const bicubicUpscaler: Upscaler = (lrY, ctx) => imresize(lrY, ctx.scale);

export interface EvaluateOptions {
  /** HR luma reference: "float" (default, unrounded) or "uint8" (rounded to 8 bits, MATLAB uint8 rgb2ycbcr). */
  reference?: "float" | "uint8";
  /** Round the LR plane to 8 bits before upscaling (default false). */
  quantizeLR?: boolean;
  /** Quantise the prediction to 8 bits before measuring (default true). */
  quantize?: boolean;
  /** Border shaved before measuring (default: scale). */
  shave?: number;
  /** Evaluate only the first `limit` images. */
  limit?: number;
  /** Called after each image. */
  onImage?: (result: ImageResult) => void;
}

export interface ImageResult {
  name: string;
  width: number;
  height: number;
  psnr: number;
  ssim: number;
}

export interface SetResult {
  folder: string;
  scale: number;
  images: ImageResult[];
  psnr: number;
  ssim: number;
}

export interface EvalPair {
  /** Reference HR luma (modcropped), float [0,1]. */
  hrY: Plane;
  /** LR luma, `imresize(hrY, 1 / scale)`. */
  lrY: Plane;
}

/** Steps 1–3 above for one decoded HR image. */
export function makeEvalPair(hr: Image, scale: number, opts: Pick<EvaluateOptions, "reference" | "quantizeLR"> = {}): EvalPair {
  const cropped = modcrop(hr, scale);
  let hrY = toY(cropped);
  if (opts.reference === "uint8") hrY = quantize8(hrY);
  let lrY = imresize(hrY, 1 / scale);
  if (opts.quantizeLR) lrY = quantize8(lrY);
  return { hrY, lrY };
}

async function evaluateImage(path: string, index: number, scale: number, border: number, upscaler: Upscaler, opts: EvaluateOptions): Promise<ImageResult> {
  const name = basename(path);
  const { hrY, lrY } = makeEvalPair(readImage(path), scale, opts);
  const pred = await upscaler(lrY, { scale, name, index, width: hrY.width, height: hrY.height });
  if (!pred || pred.channels !== 1 || pred.width !== hrY.width || pred.height !== hrY.height) {
    const got = pred ? `${pred.width}x${pred.height}x${pred.channels}` : String(pred);
    throw new Error(`${path}: upscaler returned ${got}, expected ${hrY.width}x${hrY.height}x1`);
  }
  const metricOpts = { shave: border, quantize: opts.quantize ?? true };
  return { name, width: hrY.width, height: hrY.height, psnr: psnr(pred, hrY, metricOpts), ssim: ssim(pred, hrY, metricOpts) };
}

/** Evaluate `upscaler` on every image of `folder` at `scale`. */
export async function evaluateSet(folder: string, scale: number, upscaler: Upscaler, opts: EvaluateOptions = {}): Promise<SetResult> {
  if (!(Number.isInteger(scale) && scale >= 1)) throw new Error(`evaluateSet: scale must be a positive integer, got ${scale}`);
  let files = listImages(folder);
  if (opts.limit !== undefined) files = files.slice(0, opts.limit);
  const border = opts.shave ?? scale;
  const images: ImageResult[] = [];
  for (let index = 0; index < files.length; index++) {
    const path = files[index];
    try {
      images.push(await evaluateImage(path, index, scale, border, upscaler, opts));
    } catch (e) {
      // resizing, shaving and metrics do not know the file: say which image it was
      const msg = (e as Error).message;
      throw new Error(msg.startsWith(path) ? msg : `${path}: ${msg}`, { cause: e });
    }
    opts.onImage?.(images.at(-1)!);
  }
  const mean = (k: "psnr" | "ssim") => images.reduce((a, r) => a + r[k], 0) / images.length;
  return { folder, scale, images, psnr: mean("psnr"), ssim: mean("ssim") };
}
