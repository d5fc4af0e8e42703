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
 * Separable two-pass implementation with precomputed weights/indices, accumulation in double; any channel
 * count. No rounding or clamping.
 */
import { makeImage, type Image } from "./types.ts";

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

type Samples = Float32Array | Float64Array;

/** Resize along rows (height): src is h×w×c interleaved. */
function resizeHeight(src: Samples, w: number, c: number, ct: Contributions): Float64Array {
  const rowLen = w * c;
  const out = new Float64Array(ct.outLength * rowLen);
  const { taps, indices, weights } = ct;
  for (let y = 0; y < ct.outLength; y++) {
    const o = y * rowLen;
    for (let k = 0; k < taps; k++) {
      const wt = weights[y * taps + k];
      if (wt === 0) continue;
      const s = indices[y * taps + k] * rowLen;
      for (let j = 0; j < rowLen; j++) out[o + j] += wt * src[s + j];
    }
  }
  return out;
}

/** Resize along columns (width): src is h×w×c interleaved. */
function resizeWidth(src: Samples, h: number, w: number, c: number, ct: Contributions): Float64Array {
  const outW = ct.outLength;
  const out = new Float64Array(h * outW * c);
  const { taps, indices, weights } = ct;
  if (c === 1) {
    for (let y = 0; y < h; y++) {
      const row = y * w;
      const orow = y * outW;
      for (let x = 0; x < outW; x++) {
        let acc = 0;
        const base = x * taps;
        for (let k = 0; k < taps; k++) acc += weights[base + k] * src[row + indices[base + k]];
        out[orow + x] = acc;
      }
    }
    return out;
  }
  for (let y = 0; y < h; y++) {
    const row = y * w * c;
    const orow = y * outW * c;
    for (let x = 0; x < outW; x++) {
      const base = x * taps;
      const o = orow + x * c;
      for (let k = 0; k < taps; k++) {
        const wt = weights[base + k];
        const s = row + indices[base + k] * c;
        for (let ch = 0; ch < c; ch++) out[o + ch] += wt * src[s + ch];
      }
    }
  }
  return out;
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
  const ctH = contributions(inH, outH, scaleH, antialiasing);
  const ctW = contributions(inW, outW, scaleW, antialiasing);
  let result: Float64Array;
  if (scaleH <= scaleW) {
    // MATLAB: sort([scale_h scale_w]) is stable, so ties resize the height first
    const tmp = resizeHeight(img.data, inW, c, ctH);
    result = resizeWidth(tmp, outH, inW, c, ctW);
  } else {
    const tmp = resizeWidth(img.data, inH, inW, c, ctW);
    result = resizeHeight(tmp, outW, c, ctH);
  }
  return { ...makeImage(outW, outH, c, new Float32Array(result)), channels: c } as T;
}
