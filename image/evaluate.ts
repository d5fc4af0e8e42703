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
 *
 * `colour: "rgb"` (for networks on RGB, e.g. CARN): steps 1–2 and 5 are the same (same reference Y), but
 * the upscaler gets the LR RGB image `imresize(modcrop(hr), 1 / scale)` (greyscale HR replicated to 3
 * equal channels; `quantizeLR` rounds it to 8 bits) and must return the HR RGB image (3 channels, HR
 * size). It is measured on its luma: `toY(prediction)`, or, for a greyscale HR image (whose reference
 * Y is its channel itself), the mean of the three channels. See `makeRgbEvalPair` / `predictionY`.
 */
import { basename } from "node:path";
import { quantize8, toY } from "./color.ts";
import { modcrop } from "./crop.ts";
import { readImage } from "./decode.ts";
import { listImages } from "./files.ts";
import { psnr, ssim } from "./metrics.ts";
import { imresize } from "./resize.ts";
import { makeImage, makePlane, type Image, type Plane } from "./types.ts";

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
  /** What the upscaler gets and must return: "y" (luma planes) or "rgb" (3-channel images). */
  colour: "y" | "rgb";
}

/**
 * Maps the LR input to the HR prediction (scale× larger). `colour: "y"` (default): an LR luma plane
 * (float, [0,1]) to the HR luma plane; `colour: "rgb"`: an LR RGB image (3 channels, HWC, [0,1]) to the
 * HR RGB image. Written as a method type so that functions declared for the Y mode (`(lr: Plane) =>
 * Plane`) still fit (method parameters are compared bivariantly).
 */
export type Upscaler = { upscale(lr: Image, ctx: UpscaleContext): Promise<Image> | Image }["upscale"];

/** The bicubic baseline: MATLAB `imresize(lr, scale, 'bicubic')` (any channel count, so both modes). */
export const bicubicUpscaler: Upscaler = (lr, ctx) => imresize(lr, ctx.scale);

export interface EvaluateOptions {
  /** HR luma reference: "float" (default, unrounded) or "uint8" (rounded to 8 bits, MATLAB uint8 rgb2ycbcr). */
  reference?: "float" | "uint8";
  /** Round the LR plane to 8 bits before upscaling (default false). */
  quantizeLR?: boolean;
  /** Quantise the prediction to 8 bits before measuring (default true). */
  quantize?: boolean;
  /** Border shaved before measuring (default: scale). */
  shave?: number;
  /** What the upscaler works on: "y" (default: luma planes) or "rgb" (RGB images; metrics still on Y). */
  colour?: "y" | "rgb";
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

export interface RgbEvalPair {
  /** Modcropped HR image as RGB (3 channels; a greyscale image replicated), float [0,1]. */
  hr: Image;
  /** LR RGB image, `imresize(hr, 1 / scale)` (rounded to 8 bits with `quantizeLR`). */
  lr: Image;
  /** Reference HR luma, exactly `makeEvalPair(...).hrY` (what PSNR/SSIM compare against). */
  hrY: Plane;
  /** The decoded image was greyscale: its reference Y is its channel (see `predictionY`). */
  grey: boolean;
}

/** A 1- or 3-channel image as RGB (greyscale replicated to 3 equal channels; RGB copied). */
function asRgb(img: Image): Image {
  if (img.channels === 3) return makeImage(img.width, img.height, 3, new Float32Array(img.data));
  if (img.channels !== 1) throw new Error(`expected a greyscale or RGB image, got ${img.channels} channels`);
  const n = img.width * img.height;
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = img.data[i];
  return makeImage(img.width, img.height, 3, out);
}

/** The RGB counterpart of `makeEvalPair` for one decoded HR image (same modcrop, same reference Y). */
export function makeRgbEvalPair(hr: Image, scale: number, opts: Pick<EvaluateOptions, "reference" | "quantizeLR"> = {}): RgbEvalPair {
  const cropped = modcrop(hr, scale);
  let hrY = toY(cropped);
  if (opts.reference === "uint8") hrY = quantize8(hrY);
  const hrRgb = asRgb(cropped);
  let lr = imresize(hrRgb, 1 / scale);
  if (opts.quantizeLR) lr = quantize8(lr);
  return { hr: hrRgb, lr, hrY, grey: cropped.channels === 1 };
}

/**
 * The luma plane of an RGB prediction that PSNR/SSIM measure against `hrY`: `toY(pred)` (MATLAB
 * `rgb2ycbcr` Y), or, when the HR image was greyscale (`grey`; its reference Y is its channel itself, not
 * mapped to 16..235), the mean of the three channels.
 */
export function predictionY(pred: Image, grey: boolean): Plane {
  if (pred.channels !== 3) throw new Error(`predictionY: expected an RGB prediction, got ${pred.channels} channels`);
  if (!grey) return toY(pred);
  const n = pred.width * pred.height, d = pred.data;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (d[i * 3] + d[i * 3 + 1] + d[i * 3 + 2]) / 3;
  return makePlane(pred.width, pred.height, out);
}

async function evaluateImage(path: string, index: number, scale: number, border: number, upscaler: Upscaler, opts: EvaluateOptions): Promise<ImageResult> {
  const name = basename(path);
  const colour = opts.colour ?? "y";
  const img = readImage(path);
  let hrY: Plane, lr: Image, grey = false;
  if (colour === "rgb") ({ hrY, lr, grey } = makeRgbEvalPair(img, scale, opts));
  else ({ hrY, lrY: lr } = makeEvalPair(img, scale, opts));
  const channels = colour === "rgb" ? 3 : 1;
  const pred = await upscaler(lr, { scale, name, index, width: hrY.width, height: hrY.height, colour });
  if (!pred || pred.channels !== channels || pred.width !== hrY.width || pred.height !== hrY.height) {
    const got = pred ? `${pred.width}x${pred.height}x${pred.channels}` : String(pred);
    throw new Error(`${path}: upscaler returned ${got}, expected ${hrY.width}x${hrY.height}x${channels}`);
  }
  const predY = colour === "rgb" ? predictionY(pred, grey) : pred;
  const metricOpts = { shave: border, quantize: opts.quantize ?? true };
  return { name, width: hrY.width, height: hrY.height, psnr: psnr(predY, hrY, metricOpts), ssim: ssim(predY, hrY, metricOpts) };
}

/** Evaluate `upscaler` on every image of `folder` at `scale`. */
export async function evaluateSet(folder: string, scale: number, upscaler: Upscaler, opts: EvaluateOptions = {}): Promise<SetResult> {
  if (!(Number.isInteger(scale) && scale >= 1)) throw new Error(`evaluateSet: scale must be a positive integer, got ${scale}`);
  if (opts.colour !== undefined && opts.colour !== "y" && opts.colour !== "rgb") throw new Error(`evaluateSet: colour must be "y" or "rgb", got ${JSON.stringify(opts.colour)}`);
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
