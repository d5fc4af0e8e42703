// Running a trained network on whole images: the Y plane goes through the model in LR tiles with a margin
// as wide as the network's receptive field, so the stitched output equals an untiled pass, while no tensor
// exceeds the device's buffer limit.

import type { Backend } from "../engine/backend.ts";
import { noGrad, Tensor, tidy } from "../engine/index.ts";
import type { PisrModel } from "../models/pisr.ts";
import { archSpec, type ModelConfig } from "../models/registry.ts";
import { rgbToYcbcr, splitChannels, ycbcrRowsToRgb } from "../image/color.ts";
import { imresizeRows } from "../image/resize.ts";
import { collectRows, isRows, mergeRows, rowsOf, type Rows } from "../image/rows.ts";
import { type Image, makePlane, type Plane } from "../image/types.ts";

/**
 * LR pixels of context each side of a tile for an FSRCNN: the 5×5 feature extraction reaches 2, each of the m
 * 3×3 mapping layers 1, the 1×1 layers nothing, and the 9×9 transposed conv (padding 4, stride = scale) reads
 * LR pixels up to ⌈4 / scale⌉ + 1 from an HR pixel's own (its position rounds down). Every architecture's
 * margin is in models/registry.ts; a model's own is `model.tileMargin`.
 */
export function tileMargin(config: ModelConfig): number {
  return archSpec("fsrcnn").margin(config);
}

export interface UpscaleOptions {
  /** LR tile side; by default the whole image where it fits the device (`fitsWhole`), else `defaultTile`'s */
  tile?: number;
  /** called after each tile (a progress bar for large images) */
  onTile?: (done: number, total: number) => void;
}

/**
 * The most elements one pass's widest activation may take: the device's largest buffer, and at most 2^26
 * (256 MiB of float32) where the device allows more (the CPU backend: 2^31 − 1).
 */
const passElements = (backend: Pick<Backend, "maxElements">) => Math.min(backend.maxElements, 1 << 26);

/**
 * Whether a W×H image goes through the network in one pass by default: its widest activation (`perPixel` values
 * per LR pixel) fits the device. One pass has no margins and one round trip: 480×270 to 900×600 ran 7–15% faster
 * whole than in tiles once their buffers were pooled (bench/NOTES.md, entry 55).
 */
export function fitsWhole(backend: Pick<Backend, "maxElements">, perPixel: number, width: number, height: number): boolean {
  return width * height * perPixel <= passElements(backend);
}

/**
 * Elements of a tile's widest activation (16 MiB of float32) for an image too large for one pass. Large tiles
 * lost on lavapipe: their interior, edge and corner shapes each need ≈ 0.45 GB of buffers, more than the pool
 * keeps, so buffers were made afresh tile after tile, and fresh memory is slow to touch (entry 54). FSRCNN ×4 on
 * a 2000×1336 photo: LR tiles of 252–316 ran in 5.5 s on the first pass (4.4 s after), the device's largest,
 * 758, in 10.3–12.7 s (6.5–8.2; 4.3–4.5 with a pool big enough), with 0.7 and 1.6 GB resident (bench/NOTES.md,
 * entry 55).
 */
const TILE_ACTIVATION_ELEMENTS = 1 << 22;

/**
 * The LR tile side: its widest activation (`perPixel` values per LR pixel) within TILE_ACTIVATION_ELEMENTS and the
 * tile plus its margins a multiple of 4 wide (vec4 rows, bench/NOTES.md, entry 53). Where that cap would leave the
 * margins more than about a quarter of the work (VDSR, IDN, CARN: wide activations or wide margins; not measured
 * there) and where the device holds less, the largest tile the device holds, as before entry 55.
 */
export function defaultTile(backend: Backend, perPixel: number, margin: number): number {
  const window = (elements: number) => Math.floor(Math.sqrt(elements / perPixel));
  const fits = window(passElements(backend));
  const capped = window(TILE_ACTIVATION_ELEMENTS);
  if (capped < 20 * margin || capped >= fits) return Math.max(32, fits - 2 * margin);
  return Math.max(32, capped - (capped % 4) - 2 * margin);
}

/** One tile of C planes through the network as a [1, C, h, w] batch: its output, C HR planes one after the other. */
async function runTile(model: PisrModel, backend: Backend, planes: readonly Plane[], x0: number, y0: number, w: number, h: number): Promise<Float32Array> {
  const data = new Float32Array(planes.length * w * h);
  planes.forEach((p, c) => {
    for (let y = 0; y < h; y++) data.set(p.data.subarray((y0 + y) * p.width + x0, (y0 + y) * p.width + x0 + w), (c * h + y) * w);
  });
  const out = tidy(() => noGrad(() => model.forward(Tensor.fromArray(data, [1, planes.length, h, w], { backend }))));
  const values = await out.toArray();
  out.dispose();
  return values;
}

/**
 * Columns x0 … x1 − 1 widened to a multiple of 4 with more of the image (more context changes no output), where the
 * image has enough: the kernels read and write rows a multiple of 4 wide as vec4s, and an LR tile 766 wide ran
 * 20–25% slower than one 768 wide (bench/NOTES.md, entry 53). Never past the image: zeros there would not be the
 * network's zero padding, whose activations beyond the border stay zero.
 */
function alignedColumns(x0: number, x1: number, W: number): [number, number] {
  const short = (4 - ((x1 - x0) % 4)) % 4;
  const right = Math.min(short, W - x1);
  return [Math.max(0, x0 - (short - right)), x1 + right];
}

/**
 * The network's image planes in [0, 1] (one Y plane, or R, G, B for an RGB network) → scale× larger planes,
 * unclamped float, in LR tiles whose margins cover the network's receptive field.
 */
export async function upscalePlanes(model: PisrModel, backend: Backend, planes: readonly Plane[], opts: UpscaleOptions = {}): Promise<Plane[]> {
  if (model.architecture === "teacher") throw new Error("the teacher needs the HR image; upscale with a student or baseline checkpoint");
  if (planes.length !== model.imageChannels) throw new Error(`a ${model.arch} network takes ${model.imageChannels} plane(s), got ${planes.length}`);
  const s = model.config.scale;
  const margin = model.tileMargin;
  const W = planes[0]!.width, H = planes[0]!.height;
  const tile = opts.tile ?? (fitsWhole(backend, model.activationsPerLrPixel, W, H) ? Math.max(W, H) : defaultTile(backend, model.activationsPerLrPixel, margin));
  const outs = planes.map(() => makePlane(W * s, H * s));
  const total = Math.ceil(W / tile) * Math.ceil(H / tile);
  let done = 0;
  for (let ty = 0; ty < H; ty += tile) {
    for (let tx = 0; tx < W; tx += tile) {
      const tw = Math.min(tile, W - tx), th = Math.min(tile, H - ty);
      // the tile plus its margin, clipped to the image (the image border is zero padding either way)
      const [x0, x1] = alignedColumns(Math.max(0, tx - margin), Math.min(W, tx + tw + margin), W);
      const y0 = Math.max(0, ty - margin), y1 = Math.min(H, ty + th + margin);
      const pw = (x1 - x0) * s, ph = (y1 - y0) * s;
      const values = await runTile(model, backend, planes, x0, y0, x1 - x0, y1 - y0);
      outs.forEach((out, c) => {
        for (let y = 0; y < th * s; y++) {
          const src = c * pw * ph + (y + (ty - y0) * s) * pw + (tx - x0) * s;
          out.data.set(values.subarray(src, src + tw * s), (ty * s + y) * out.width + tx * s);
        }
      });
      opts.onTile?.(++done, total);
    }
  }
  return outs;
}

/** LR Y plane in [0, 1] → HR Y plane (scale× larger), unclamped float: a network on the Y channel. */
export async function upscalePlane(model: PisrModel, backend: Backend, lr: Plane, opts: UpscaleOptions = {}): Promise<Plane> {
  if (model.imageChannels !== 1) throw new Error(`a ${model.arch} network works on RGB images, not on one plane: use upscaleImage`);
  return (await upscalePlanes(model, backend, [lr], opts))[0]!;
}

/**
 * A grey or RGB image (float, [0, 1]) → scale× larger. A Y-channel network: a grey image goes through it as it
 * is; RGB goes to YCbCr, Y through the network, Cb and Cr by MATLAB bicubic, and back — the SR convention. An
 * RGB network (CARN) takes the RGB planes; a grey image goes in as three equal planes and comes back as their mean.
 */
export async function upscaleImage(model: PisrModel, backend: Backend, img: Image, opts: UpscaleOptions = {}): Promise<Image> {
  const out = await upscaled(model, backend, img, opts);
  return isRows(out) ? collectRows(out) : out;
}

/**
 * `upscaleImage` whose result is computed a row at a time as a consumer (the PNG encoder) asks: only the
 * network's output planes are held whole; the chroma's resize and the conversion to RGB happen row by row.
 */
export async function upscaleRows(model: PisrModel, backend: Backend, img: Image, opts: UpscaleOptions = {}): Promise<Rows> {
  return rowsOf(await upscaled(model, backend, img, opts));
}

async function upscaled(model: PisrModel, backend: Backend, img: Image, opts: UpscaleOptions): Promise<Image | Rows> {
  if (img.channels !== 1 && img.channels !== 3) throw new Error(`upscaleImage takes 1 or 3 channels, got ${img.channels}`);
  if (model.imageChannels === 3) {
    const rgb = img.channels === 3 ? splitChannels(img) : [img as Plane, img as Plane, img as Plane];
    const big = await upscalePlanes(model, backend, rgb, opts);
    if (img.channels === 3) return mergeRows(big.map(rowsOf));
    const grey = makePlane(big[0]!.width, big[0]!.height);
    for (let i = 0; i < grey.data.length; i++) grey.data[i] = (big[0]!.data[i]! + big[1]!.data[i]! + big[2]!.data[i]!) / 3;
    return grey;
  }
  if (img.channels === 1) return upscalePlane(model, backend, img as Plane, opts);
  const s = model.config.scale;
  const [y, cb, cr] = splitChannels(rgbToYcbcr(img));
  const big = await upscalePlane(model, backend, y as Plane, opts);
  return ycbcrRowsToRgb(mergeRows([rowsOf(big), imresizeRows(cb!, s), imresizeRows(cr!, s)]));
}
