/**
 * Images computed a row at a time. An upscaled photo is large (2000×1336 at ×4: 42.7 M pixels, 0.5 GB as float
 * RGB), and fresh memory is slow to touch: the chroma resize, the colour conversion and the encoder pass rows
 * along instead, and nothing image-sized exists but the network's output plane (bench/NOTES.md, entry 54).
 */
import { makeImage, type Image } from "./types.ts";

/**
 * `row(y)`: row y's width × channels samples, interleaved as in an Image. The array may be reused by the next
 * call (copy what must outlive it); rows may be asked for in any order.
 */
export interface Rows {
  width: number;
  height: number;
  channels: number;
  row(y: number): Float32Array;
}

/** Whether `img` is computed row by row rather than held whole. */
export function isRows(img: Image | Rows): img is Rows {
  return !("data" in img);
}

/** An image's rows, as views of its data. */
export function rowsOf(img: Image | Rows): Rows {
  if (isRows(img)) return img;
  const { width, height, channels, data } = img;
  const len = width * channels;
  return { width, height, channels, row: (y) => data.subarray(y * len, (y + 1) * len) };
}

/** Every row, into one image. */
export function collectRows(rows: Rows): Image {
  const len = rows.width * rows.channels;
  const out = makeImage(rows.width, rows.height, rows.channels);
  for (let y = 0; y < rows.height; y++) out.data.set(rows.row(y), y * len);
  return out;
}

/** Same-sized images side by side in the channels: [RGB, alpha] → RGBA, [Y, Cb, Cr] → YCbCr. */
export function mergeRows(parts: readonly Rows[]): Rows {
  if (parts.length === 0) throw new Error("mergeRows: nothing to merge");
  const { width, height } = parts[0];
  parts.forEach((p, k) => {
    if (p.width !== width || p.height !== height) throw new Error(`mergeRows: part ${k} is ${p.width}x${p.height}, expected ${width}x${height}`);
  });
  const channels = parts.reduce((n, p) => n + p.channels, 0);
  const out = new Float32Array(width * channels);
  return {
    width, height, channels,
    row(y) {
      let first = 0;
      for (const p of parts) {
        const src = p.row(y), c = p.channels;
        for (let x = 0; x < width; x++) for (let k = 0; k < c; k++) out[x * channels + first + k] = src[x * c + k];
        first += c;
      }
      return out;
    },
  };
}
