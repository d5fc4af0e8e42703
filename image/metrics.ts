/**
 * SR metrics on luma planes, as the SR literature's MATLAB evaluation code computes them.
 *
 * Inputs are Y planes in [0,1] (`toY`); metrics are computed on the 0..255 scale in double precision.
 *  - The prediction is quantised to 8 bits first (`round(clamp(y, 0, 1) * 255)`), as if saved as an 8-bit
 *    image (set `quantize: false` to skip). The reference is used as given (for benchmark sets: the
 *    unrounded float Y of the 8-bit HR RGB image, MATLAB `rgb2ycbcr(im2double(hr))`).
 *  - `shave` pixels are removed from every side of both planes (the literature uses shave = scale).
 *  - PSNR = 10 log10(255² / MSE).
 *  - SSIM = Wang et al.'s `ssim_index.m`: 11×11 Gaussian window (σ = 1.5, normalised), K1 = 0.01,
 *    K2 = 0.03, L = 255, 'valid' filtering (the statistics of every 11×11 window that fits inside the
 *    shaved image), mean of the SSIM map. No automatic downsampling (unlike the later `ssim.m`).
 *    This equals skimage `structural_similarity(gaussian_weights=True, sigma=1.5,
 *    use_sample_covariance=False, data_range=255)`, which crops 5 px of its SSIM map, i.e. 'valid'.
 */
import { shave as shaveImage } from "./crop.ts";
import type { Image } from "./types.ts";

export interface MetricOptions {
  /** Pixels removed from each side before measuring (default 0; the literature uses the scale). */
  shave?: number;
  /** Quantise the prediction to 8 bits first (default true). */
  quantize?: boolean;
}

function prepare(pred: Image, ref: Image, opts: MetricOptions, what: string): { p: Float64Array; r: Float64Array; w: number; h: number } {
  if (pred.channels !== 1 || ref.channels !== 1) throw new Error(`${what}: expects single-channel (Y) planes, got ${pred.channels} and ${ref.channels} channels`);
  if (pred.width !== ref.width || pred.height !== ref.height) {
    throw new Error(`${what}: size mismatch, prediction ${pred.width}x${pred.height} vs reference ${ref.width}x${ref.height}`);
  }
  const border = opts.shave ?? 0;
  const quantize = opts.quantize ?? true;
  const ps = shaveImage(pred, border);
  const rs = shaveImage(ref, border);
  const n = ps.data.length;
  const p = new Float64Array(n);
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = ps.data[i];
    p[i] = quantize ? (v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0) : v * 255;
    r[i] = rs.data[i] * 255;
  }
  return { p, r, w: ps.width, h: ps.height };
}

/** Mean squared error on the 0..255 scale, after the same shave/quantisation as `psnr`. */
export function mse255(pred: Image, ref: Image, opts: MetricOptions = {}): number {
  const { p, r } = prepare(pred, ref, opts, "mse");
  let acc = 0;
  for (let i = 0; i < p.length; i++) {
    const d = p[i] - r[i];
    acc += d * d;
  }
  return acc / p.length;
}

/** PSNR in dB (peak 255), Infinity for identical planes. */
export function psnr(pred: Image, ref: Image, opts: MetricOptions = {}): number {
  const m = mse255(pred, ref, opts);
  return m === 0 ? Infinity : 10 * Math.log10((255 * 255) / m);
}

/** Normalised 1-D Gaussian of `size` taps (the separable factor of MATLAB `fspecial('gaussian', size, sigma)`). */
export function gaussian1d(size = 11, sigma = 1.5): Float64Array {
  const g = new Float64Array(size);
  const c = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    g[i] = Math.exp(-((i - c) * (i - c)) / (2 * sigma * sigma));
    sum += g[i];
  }
  for (let i = 0; i < size; i++) g[i] /= sum;
  return g;
}

export interface SsimOptions extends MetricOptions {
  windowSize?: number;
  sigma?: number;
  k1?: number;
  k2?: number;
  /** Dynamic range L (default 255: the planes are compared on the 0..255 scale). */
  dataRange?: number;
}

/** Mean SSIM (MATLAB `ssim_index` conventions, see the file header). */
export function ssim(pred: Image, ref: Image, opts: SsimOptions = {}): number {
  const { p, r, w, h } = prepare(pred, ref, opts, "ssim");
  const size = opts.windowSize ?? 11;
  if (w < size || h < size) throw new Error(`ssim: image ${w}x${h} (after shaving) is smaller than the ${size}x${size} window`);
  const g = gaussian1d(size, opts.sigma ?? 1.5);
  const L = opts.dataRange ?? 255;
  const C1 = ((opts.k1 ?? 0.01) * L) ** 2;
  const C2 = ((opts.k2 ?? 0.03) * L) ** 2;
  const ow = w - size + 1;
  const oh = h - size + 1;
  // horizontal 'valid' pass of the five statistics at once
  const hp = new Float64Array(h * ow), hr = new Float64Array(h * ow);
  const hpp = new Float64Array(h * ow), hrr = new Float64Array(h * ow), hpr = new Float64Array(h * ow);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < ow; x++) {
      let a = 0, b = 0, aa = 0, bb = 0, ab = 0;
      for (let i = 0; i < size; i++) {
        const gi = g[i], u = p[row + x + i], v = r[row + x + i];
        a += gi * u;
        b += gi * v;
        aa += gi * u * u;
        bb += gi * v * v;
        ab += gi * u * v;
      }
      const o = y * ow + x;
      hp[o] = a;
      hr[o] = b;
      hpp[o] = aa;
      hrr[o] = bb;
      hpr[o] = ab;
    }
  }
  // vertical pass, then the SSIM map, accumulated row by row
  let acc = 0;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let m1 = 0, m2 = 0, s11 = 0, s22 = 0, s12 = 0;
      for (let i = 0; i < size; i++) {
        const gi = g[i], o = (y + i) * ow + x;
        m1 += gi * hp[o];
        m2 += gi * hr[o];
        s11 += gi * hpp[o];
        s22 += gi * hrr[o];
        s12 += gi * hpr[o];
      }
      const m11 = m1 * m1, m22 = m2 * m2, m12 = m1 * m2;
      acc += ((2 * m12 + C1) * (2 * (s12 - m12) + C2)) / ((m11 + m22 + C1) * (s11 - m11 + s22 - m22 + C2));
    }
  }
  return acc / (ow * oh);
}
