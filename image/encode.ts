/**
 * Encoding 8-bit PNG and JPEG. Samples are clamped to [0, 1] and rounded to the nearest of 0..255
 * (`round(clamp(v) * 255)`, the same step as `quantize8`). PNG: 1 channel → greyscale, 2 → grey + alpha,
 * 3 → RGB, 4 → RGBA.
 * JPEG: RGB (grey is written as RGB; alpha cannot be stored and is refused).
 */
import { extname } from "node:path";
import jpeg from "jpeg-js";
import { writeFileAtomically } from "../io/atomic-write.ts";
import { to8 } from "./color.ts";
import { pngParts } from "./png-writer.ts";
import { isRows, rowsOf, type Rows } from "./rows.ts";
import type { Image } from "./types.ts";

/**
 * PNG bytes (8 bits per sample) of an image with 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA) channels, held
 * whole or computed row by row.
 */
export function encodePng(img: Image | Rows): Buffer {
  return Buffer.concat(pngFileParts(img));
}

/** The PNG's parts in file order (writePng writes them as they are), after checking the image can be one. */
function pngFileParts(img: Image | Rows): Uint8Array[] {
  const { width, height, channels } = img;
  if (![1, 2, 3, 4].includes(channels)) throw new Error(`encodePng: cannot write ${channels} channels (need 1, 2, 3 or 4)`);
  if (!(width > 0 && height > 0)) throw new Error(`encodePng: image has no pixels (${width}x${height})`);
  if (!isRows(img) && img.data.length !== width * height * channels) throw new Error(`encodePng: data length ${img.data.length} does not match ${width}x${height}x${channels}`);
  return pngParts(rowsOf(img));
}

/** Baseline JPEG bytes of a grey or RGB image at `quality` (1–100). */
export function encodeJpeg(img: Image | Rows, quality = 92): Buffer {
  const { width, height, channels } = img;
  if (channels !== 1 && channels !== 3) throw new Error(`encodeJpeg: JPEG stores grey or RGB, not ${channels} channels${channels === 4 ? " (the alpha channel would be lost: write PNG)" : ""}`);
  if (!(Number.isInteger(quality) && quality >= 1 && quality <= 100)) throw new Error(`encodeJpeg: quality must be an integer from 1 to 100, got ${quality}`);
  const rows = rowsOf(img);
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    const row = rows.row(y);
    for (let x = 0, o = y * width * 4; x < width; x++, o += 4) {
      for (let c = 0; c < 3; c++) rgba[o + c] = to8(row[x * channels + (channels === 1 ? 0 : c)]);
      rgba[o + 3] = 255;
    }
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
export function writeImage(path: string, img: Image | Rows, opts: { quality?: number } = {}): void {
  if (formatForPath(path) === "png") return writePng(path, img);
  writeFileAtomically(path, encodeJpeg(img, opts.quality), "JPEG");
}

/**
 * Write an image as an 8-bit PNG atomically: the bytes go to a temporary file in the same folder,
 * which is then renamed over `path`; on failure the temporary file is removed and nothing is left.
 */
export function writePng(path: string, img: Image | Rows): void {
  writeFileAtomically(path, pngFileParts(img), "PNG");
}
