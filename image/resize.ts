/**
 * MATLAB-compatible `imresize(img, scale, 'bicubic')` (antialiasing on, the default), float in, float out.
 *
 * Follows MATLAB's `imresize.m` / `contributions()` exactly:
 *  - cubic kernel with a = -0.5 (Keys), support 4;
 *  - when shrinking (scale < 1) and antialiasing, the kernel is stretched: h(x) = scale * cubic(scale * x),
 *    support 4 / scale;
 *  - output pixel x (1-based) maps to input coordinate u = x / scale + 0.5 * (1 - 1 / scale);
 *  - taps: left = floor(u - width / 2), P = ceil(width) + 2 consecutive indices left .. left + P - 1;
 *  - weights normalised to sum 1 per output pixel;
 *  - out-of-range indices mirrored symmetrically (aux = [1..n, n..1], index = aux[(i - 1) mod 2n]);
 *  - scalar scale: output size ceil(scale * in) per dimension; explicit size: scale = out / in per dimension;
 *  - the dimension with the smaller scale is resized first (ties: height, then width), as MATLAB does.
 * Separable two-pass implementation with precomputed weights/indices, accumulation in double, result in float32
 * (whole, or a row at a time: `imresizeRows`); any channel count. No rounding or clamping.
 */
import { collectRows, type Rows } from "./rows.ts";
import type { Image } from "./types.ts";

/** MATLAB's cubic kernel (a = -0.5). */
export function cubic(x: number): number {
  const ax = Math.abs(x);
  const ax2 = ax * ax;
  const ax3 = ax2 * ax;
  if (ax <= 1) return 1.5 * ax3 - 2.5 * ax2 + 1;
  if (ax <= 2) return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
  return 0;
}

/** Precomputed taps of one 1-D resize: output i reads `indices[i*taps + k]` (0-based) with `weights[i*taps + k]`. */
export interface Contributions {
  inLength: number;
  outLength: number;
  taps: number;
  indices: Int32Array;
  weights: Float64Array;
}

/** MATLAB `contributions(in_length, out_length, scale, @cubic, 4, antialiasing)`, indices made 0-based. */
export function contributions(inLength: number, outLength: number, scale: number, antialiasing = true): Contributions {
  if (!(inLength > 0 && outLength > 0)) throw new Error(`contributions: bad lengths ${inLength} -> ${outLength}`);
  if (!(scale > 0 && Number.isFinite(scale))) throw new Error(`contributions: bad scale ${scale}`);
  const shrink = scale < 1 && antialiasing;
  const kernelWidth = shrink ? 4 / scale : 4;
  const h = shrink ? (x: number) => scale * cubic(scale * x) : cubic;
  const taps = Math.ceil(kernelWidth) + 2;
  const indices = new Int32Array(outLength * taps);
  const weights = new Float64Array(outLength * taps);
  const period = 2 * inLength;
  for (let i = 0; i < outLength; i++) {
    const x = i + 1;
    const u = x / scale + 0.5 * (1 - 1 / scale);
    const left = Math.floor(u - kernelWidth / 2);
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      const idx = left + k; // 1-based, may be out of range
      const w = h(u - idx);
      weights[i * taps + k] = w;
      sum += w;
      // symmetric mirror: aux = [1..n, n..1]; aux(mod(idx - 1, 2n) + 1)
      const m = (((idx - 1) % period) + period) % period;
      indices[i * taps + k] = m < inLength ? m : period - 1 - m;
    }
    for (let k = 0; k < taps; k++) weights[i * taps + k] /= sum;
  }
  return { inLength, outLength, taps, indices, weights };
}

/**
 * The taps of a `Contributions` with weight ≠ 0, row by row: output i reads `indices[e]` with `weights[e]` for e in
 * `offsets[i]` … `offsets[i + 1] − 1`. Enlarging leaves at least two of the six taps at 0; adding 0·x leaves a sum
 * of finite values unchanged, so skipping them changes no result.
 */
export interface NonzeroTaps {
  offsets: Int32Array;
  indices: Int32Array;
  weights: Float64Array;
}

export function nonzeroTaps(ct: Contributions): NonzeroTaps {
  const { outLength, taps, indices, weights } = ct;
  const offsets = new Int32Array(outLength + 1);
  const kept: number[] = [];
  for (let i = 0; i < outLength; i++) {
    for (let k = i * taps; k < (i + 1) * taps; k++) if (weights[k] !== 0) kept.push(k);
    offsets[i + 1] = kept.length;
  }
  return { offsets, indices: Int32Array.from(kept, (k) => indices[k]), weights: Float64Array.from(kept, (k) => weights[k]) };
}

type Samples = Float32Array | Float64Array;

/**
 * Output row `y` of the height pass into `out` (`rowLen` = width × channels samples, accumulated in double):
 * the rows of `src` that feed it, weighted, in tap order.
 */
function heightRow(src: Samples, rowLen: number, taps: NonzeroTaps, y: number, out: Float64Array): void {
  out.fill(0);
  for (let e = taps.offsets[y]; e < taps.offsets[y + 1]; e++) {
    const wt = taps.weights[e];
    const s = taps.indices[e] * rowLen;
    for (let j = 0; j < rowLen; j++) out[j] += wt * src[s + j];
  }
}

/** One row through the width pass: `src` from `from` (w × c samples) → `out` from `to` (outW × c), sums in double. */
function widthRow(src: Samples, from: number, c: number, taps: NonzeroTaps, out: Samples, to: number): void {
  const { offsets, indices, weights } = taps;
  const outW = offsets.length - 1;
  if (c === 1) {
    for (let x = 0; x < outW; x++) {
      let acc = 0;
      for (let e = offsets[x]; e < offsets[x + 1]; e++) acc += weights[e] * src[from + indices[e]];
      out[to + x] = acc;
    }
    return;
  }
  for (let x = 0; x < outW; x++) {
    for (let ch = 0; ch < c; ch++) {
      let acc = 0;
      for (let e = offsets[x]; e < offsets[x + 1]; e++) acc += weights[e] * src[from + indices[e] * c + ch];
      out[to + x * c + ch] = acc;
    }
  }
}

/**
 * Both passes, `first` resized first (MATLAB's order), a row at a time into float32. Height first: each output
 * row from its height-pass row, held in double, so nothing image-sized is ever allocated. Width first: the width
 * pass of every input row up front (in double), then each output row's height pass.
 */
function resizeRows(src: Samples, inW: number, inH: number, c: number, tapsW: NonzeroTaps, tapsH: NonzeroTaps, first: "height" | "width"): Rows {
  const outW = tapsW.offsets.length - 1, outH = tapsH.offsets.length - 1;
  const out = new Float32Array(outW * c);
  const rows = { width: outW, height: outH, channels: c };
  if (first === "height") {
    const between = new Float64Array(inW * c);
    return {
      ...rows,
      row(y) {
        heightRow(src, inW * c, tapsH, y, between);
        widthRow(between, 0, c, tapsW, out, 0);
        return out;
      },
    };
  }
  const wide = new Float64Array(inH * outW * c);
  for (let y = 0; y < inH; y++) widthRow(src, y * inW * c, c, tapsW, wide, y * outW * c);
  const between = new Float64Array(outW * c);
  return {
    ...rows,
    row(y) {
      heightRow(wide, outW * c, tapsH, y, between);
      out.set(between);
      return out;
    },
  };
}

export interface ResizeOptions {
  /** MATLAB's 'Antialiasing' (default true; only matters when shrinking). */
  antialiasing?: boolean;
}

/** Output size MATLAB gives for a scalar scale: ceil(scale * in). */
export function resizedSize(width: number, height: number, scale: number): { width: number; height: number } {
  return { width: Math.ceil(scale * width), height: Math.ceil(scale * height) };
}

/**
 * MATLAB `imresize(img, scale, 'bicubic')` for a scalar `scale`, or `imresize(img, [height width], 'bicubic')`
 * for an explicit size. Returns a new image with the same channel count (float, unclamped).
 */
export function imresize<T extends Image>(img: T, size: number | { width: number; height: number }, opts: ResizeOptions = {}): T {
  return { ...collectRows(imresizeRows(img, size, opts)), channels: img.channels } as T;
}

/** `imresize` a row at a time, as a consumer asks for the rows (an encoder writing an upscaled photo). */
export function imresizeRows(img: Image, size: number | { width: number; height: number }, opts: ResizeOptions = {}): Rows {
  const antialiasing = opts.antialiasing ?? true;
  const { width: inW, height: inH, channels: c } = img;
  if (!(inW > 0 && inH > 0)) throw new Error(`imresize: image has no pixels (${inW}x${inH})`);
  let outW: number, outH: number, scaleW: number, scaleH: number;
  if (typeof size === "number") {
    if (!(size > 0 && Number.isFinite(size))) throw new Error(`imresize: bad scale ${size}`);
    ({ width: outW, height: outH } = resizedSize(inW, inH, size));
    scaleW = scaleH = size;
  } else {
    outW = size.width;
    outH = size.height;
    if (!(Number.isInteger(outW) && Number.isInteger(outH) && outW > 0 && outH > 0)) {
      throw new Error(`imresize: bad output size ${outW}x${outH}`);
    }
    scaleW = outW / inW;
    scaleH = outH / inH;
  }
  const tapsH = nonzeroTaps(contributions(inH, outH, scaleH, antialiasing));
  const tapsW = nonzeroTaps(contributions(inW, outW, scaleW, antialiasing));
  // MATLAB: sort([scale_h scale_w]) is stable, so ties resize the height first
  return resizeRows(img.data, inW, inH, c, tapsW, tapsH, scaleH <= scaleW ? "height" : "width");
}
