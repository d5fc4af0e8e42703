/**
 * Encoding 8-bit PNG and JPEG. Samples are clamped to [0, 1] and rounded to the nearest of 0..255
 * (`round(clamp(v) * 255)`, the same step as `quantize8`). PNG: 1 channel → greyscale, 2 → grey + alpha,
 * 3 → RGB, 4 → RGBA.
 * JPEG: RGB (grey is written as RGB; alpha cannot be stored and is refused).
 */
import { extname } from "node:path";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { writeFileAtomically } from "../io/atomic-write.ts";
import type { Image } from "./types.ts";

function to8(v: number): number {
  // NaN → 0
  return v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
}

/** PNG bytes (8 bits per sample) of an image with 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA) channels. */
export function encodePng(img: Image): Buffer {
  const { width, height, channels, data } = img;
  if (![1, 2, 3, 4].includes(channels)) throw new Error(`encodePng: cannot write ${channels} channels (need 1, 2, 3 or 4)`);
  if (!(width > 0 && height > 0)) throw new Error(`encodePng: image has no pixels (${width}x${height})`);
  if (data.length !== width * height * channels) throw new Error(`encodePng: data length ${data.length} does not match ${width}x${height}x${channels}`);
  const n = width * height;
  const rgba = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) {
    if (channels <= 2) {
      const g = to8(data[i * channels]);
      rgba[i * 4] = g;
      rgba[i * 4 + 1] = g;
      rgba[i * 4 + 2] = g;
      rgba[i * 4 + 3] = channels === 2 ? to8(data[i * 2 + 1]) : 255;
    } else {
      rgba[i * 4] = to8(data[i * channels]);
      rgba[i * 4 + 1] = to8(data[i * channels + 1]);
      rgba[i * 4 + 2] = to8(data[i * channels + 2]);
      rgba[i * 4 + 3] = channels === 4 ? to8(data[i * 4 + 3]) : 255;
    }
  }
  const colorType = ([0, 0, 4, 2, 6] as const)[channels];
  return PNG.sync.write({ width, height, data: rgba } as PNG, { colorType, inputColorType: 6, inputHasAlpha: true, bitDepth: 8 });
}

/** Baseline JPEG bytes of a grey or RGB image at `quality` (1–100). */
export function encodeJpeg(img: Image, quality = 92): Buffer {
  const { width, height, channels, data } = img;
  if (channels !== 1 && channels !== 3) throw new Error(`encodeJpeg: JPEG stores grey or RGB, not ${channels} channels${channels === 4 ? " (the alpha channel would be lost: write PNG)" : ""}`);
  if (!(Number.isInteger(quality) && quality >= 1 && quality <= 100)) throw new Error(`encodeJpeg: quality must be an integer from 1 to 100, got ${quality}`);
  const n = width * height;
  const rgba = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) rgba[i * 4 + c] = to8(data[i * channels + (channels === 1 ? 0 : c)]);
    rgba[i * 4 + 3] = 255;
  }
  return Buffer.from(jpeg.encode({ width, height, data: rgba }, quality).data);
}

/** The format a path's extension asks for, or an error naming the path. */
export function formatForPath(path: string): "png" | "jpeg" {
  const ext = extname(path).toLowerCase();
  if (ext === ".png") return "png";
  if (ext === ".jpg" || ext === ".jpeg") return "jpeg";
  throw new Error(`${path}: cannot tell the output format from "${ext || "no extension"}": use .png, .jpg or .jpeg`);
}

/** Writes PNG or JPEG by the path's extension, atomically (see writePng). */
export function writeImage(path: string, img: Image, opts: { quality?: number } = {}): void {
  if (formatForPath(path) === "png") return writePng(path, img);
  writeFileAtomically(path, encodeJpeg(img, opts.quality), "JPEG");
}

/**
 * Write an image as an 8-bit PNG atomically: the bytes go to a temporary file in the same folder,
 * which is then renamed over `path`; on failure the temporary file is removed and nothing is left.
 */
export function writePng(path: string, img: Image): void {
  writeFileAtomically(path, encodePng(img), "PNG");
}
