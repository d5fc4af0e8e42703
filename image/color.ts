/**
 * Colour conversion, exactly MATLAB `rgb2ycbcr` / `ycbcr2rgb` for double images (= skimage's
 * `rgb2ycbcr(x) / 255`): ITU-R BT.601, "studio swing".
 *
 *   Y  = (16  +  65.481 R + 128.553 G +  24.966 B) / 255
 *   Cb = (128 -  37.797 R -  74.203 G + 112.000 B) / 255
 *   Cr = (128 + 112.000 R -  93.786 G -  18.214 B) / 255      with R, G, B in [0, 1]
 *
 * so Y lies in [16/255, 235/255]. Everything is float, nothing is rounded (as the official PISR code and
 * the SR literature's MATLAB code `rgb2ycbcr(im2double(hr))` do). `ycbcrToRgb` applies the exact inverse
 * of the 3×3 matrix (computed in double precision here, not MATLAB's rounded printed coefficients).
 *
 * Greyscale (1-channel) images use their single channel as Y (no 16..235 mapping), as the literature does
 * for e.g. Set14's `bridge`.
 */
import { collectRows, mergeRows, rowsOf, type Rows } from "./rows.ts";
import { makeImage, makePlane, type Image, type Plane } from "./types.ts";

/** BT.601 forward matrix on the 0..255 scale (rows Y, Cb, Cr; columns R, G, B in [0, 1]). */
export const YCBCR_MATRIX: readonly (readonly number[])[] = [
  [65.481, 128.553, 24.966],
  [-37.797, -74.203, 112.0],
  [112.0, -93.786, -18.214],
];
/** Offsets on the 0..255 scale. */
export const YCBCR_OFFSET: readonly number[] = [16, 128, 128];

function invert3(m: readonly (readonly number[])[]): number[][] {
  const [a, b, c] = m[0];
  const [d, e, f] = m[1];
  const [g, h, i] = m[2];
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

/** Forward matrix scaled for [0,1] in and [0,1] out. */
const F = YCBCR_MATRIX.map((row) => row.map((v) => v / 255));
const O = YCBCR_OFFSET.map((v) => v / 255);
/** Exact inverse (YCbCr in [0,1] minus offset → RGB in [0,1]). */
const INV = invert3(F);

function need(img: { channels: number }, channels: number, what: string): void {
  if (img.channels !== channels) throw new Error(`${what}: expected ${channels} channels, got ${img.channels}`);
}

/** RGB (3 channels, [0,1]) → YCbCr (3 channels, [0,1] scale, i.e. MATLAB double `rgb2ycbcr`). */
export function rgbToYcbcr(img: Image): Image {
  need(img, 3, "rgbToYcbcr");
  const src = img.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i += 3) {
    const r = src[i], g = src[i + 1], b = src[i + 2];
    out[i] = O[0] + F[0][0] * r + F[0][1] * g + F[0][2] * b;
    out[i + 1] = O[1] + F[1][0] * r + F[1][1] * g + F[1][2] * b;
    out[i + 2] = O[2] + F[2][0] * r + F[2][1] * g + F[2][2] * b;
  }
  return makeImage(img.width, img.height, 3, out);
}

/** YCbCr ([0,1] scale) → RGB ([0,1], not clamped), the exact inverse of `rgbToYcbcr`. */
export function ycbcrToRgb(img: Image): Image {
  return collectRows(ycbcrRowsToRgb(rowsOf(img)));
}

/** `ycbcrToRgb` a row at a time (an upscaled photo's RGB is converted as its encoder asks for the rows). */
export function ycbcrRowsToRgb(rows: Rows): Rows {
  need(rows, 3, "ycbcrToRgb");
  const out = new Float32Array(rows.width * 3);
  const [[a, b, c], [d, e, f], [g, h, k]] = INV;
  const [oY, oCb, oCr] = O;
  return {
    width: rows.width, height: rows.height, channels: 3,
    row(r) {
      const src = rows.row(r);
      for (let i = 0; i < out.length; i += 3) {
        const y = src[i] - oY, cb = src[i + 1] - oCb, cr = src[i + 2] - oCr;
        out[i] = a * y + b * cb + c * cr;
        out[i + 1] = d * y + e * cb + f * cr;
        out[i + 2] = g * y + h * cb + k * cr;
      }
      return out;
    },
  };
}

/**
 * The luma plane the network works on, as float in [0,1]: for RGB, Y/255 of `rgbToYcbcr` (so in
 * [16/255, 235/255], unrounded); for a greyscale image its single channel.
 */
export function toY(img: Image): Plane {
  if (img.channels === 1) return makePlane(img.width, img.height, new Float32Array(img.data));
  need(img, 3, "toY");
  const src = img.data;
  const n = img.width * img.height;
  const out = new Float32Array(n);
  const [fr, fg, fb] = F[0];
  const o = O[0];
  for (let i = 0; i < n; i++) out[i] = o + fr * src[i * 3] + fg * src[i * 3 + 1] + fb * src[i * 3 + 2];
  return makePlane(img.width, img.height, out);
}

/** Split a multi-channel image into planes. */
export function splitChannels(img: Image): Plane[] {
  const n = img.width * img.height;
  const planes: Plane[] = [];
  for (let c = 0; c < img.channels; c++) {
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = img.data[i * img.channels + c];
    planes.push(makePlane(img.width, img.height, d));
  }
  return planes;
}

/** Interleave same-sized planes into one image. */
export function mergeChannels(planes: readonly Image[]): Image {
  if (planes.length === 0) throw new Error("mergeChannels: no planes");
  const { width, height } = planes[0];
  planes.forEach((p, k) => {
    if (p.width !== width || p.height !== height || p.channels !== 1) {
      throw new Error(`mergeChannels: plane ${k} is ${p.width}x${p.height}x${p.channels}, expected ${width}x${height}x1`);
    }
  });
  return collectRows(mergeRows(planes.map(rowsOf)));
}

/**
 * round(clamp(v, 0, 1) · 255), NaN → 0: a sample as the 8 bits a PNG or JPEG stores. For a float32 v in (0, 1),
 * v · 255 + 0.5 is exact in double, so truncating it equals Math.round(v · 255), faster.
 */
export function to8(v: number): number {
  return v > 0 ? (v < 1 ? (v * 255 + 0.5) | 0 : 255) : 0;
}

/**
 * 8-bit quantisation in float: round(clamp(v, 0, 1) * 255) / 255 (NaN → 0). Same step as writing an
 * 8-bit PNG or MATLAB's `im2uint8`.
 */
export function quantize8<T extends Image>(img: T): T {
  const src = img.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = to8(src[i]) / 255;
  return { ...img, data: out };
}
