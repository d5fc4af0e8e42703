/**
 * Training patch sampler: random aligned (LR, HR) luma patches (or RGB patches, `colour: "rgb"`) from
 * folders of HR images.
 *
 * Per image (decoded once, then cached in memory as two float planes):
 *   HR = modcrop(image, scale); hrY = toY(HR) (float Y/255, unrounded; greyscale: its channel);
 *   lrY = imresize(hrY, 1/scale) — MATLAB bicubic, antialiased (= Y of the bicubic-downscaled RGB image,
 *   by linearity), float, optionally rounded to 8 bits (`quantizeLR`). Same as `makeEvalPair` in evaluate.ts.
 * With `colour: "rgb"` (for RGB networks) the cache holds RGB images instead: HR = modcrop(image, scale)
 * (greyscale replicated to 3 equal channels), LR = imresize(HR, 1/scale) (`quantizeLR` as above); same as
 * `makeRgbEvalPair`. Patches, offsets, augmentation and the random draws are exactly those of the Y mode
 * (the same seed gives the same patches; Y of an RGB batch equals the Y batch up to float rounding).
 * Per sample: an LR offset (x, y) uniform over all positions where the LR patch fits; the HR patch is at
 * (x·scale, y·scale). Augmentation (each with p = 0.5, identical for LR and HR): horizontal flip, vertical
 * flip, transpose (applied in that order: out(i, j) = src after flips, then swapped).
 * Order: each epoch visits every usable image once, in a fresh random permutation; a batch takes the next
 * `batchSize` images of that sequence (crossing epoch boundaries), one patch per image.
 * Batches are NCHW Float32Arrays [B, 1, h, w] ([B, 3, h, w] in RGB mode: planar, per sample all R, then G,
 * then B). Everything random comes from one seeded xoshiro128** whose state, together with the epoch
 * order and position, is `state()`; `restore(state)` resumes exactly (the state does not record the mode).
 *
 * Images smaller than the HR patch (checked from the file header) are skipped with a warning; an error is
 * raised if none is left. Memory: 4 bytes × (1 + 1/scale²) per HR pixel (about 0.7 GB for bsds400 +
 * sunhays80 at ×2); RGB mode: 3× that, 12 bytes × (1 + 1/scale²) per HR pixel.
 */
import { basename, dirname } from "node:path";
import { readImage, readImageInfo } from "./decode.ts";
import { makeEvalPair, makeRgbEvalPair } from "./evaluate.ts";
import { listImages } from "./files.ts";
import { Rng, type RngState } from "./random.ts";
import type { Image, Plane } from "./types.ts";

export interface SamplerOptions {
  /** One folder or several (images directly inside; PNG/JPEG). */
  folders: string | string[];
  /** Integer SR factor. */
  scale: number;
  /** HR patch side (default 192); must be a multiple of `scale`. LR patch side = patchSize / scale. */
  patchSize?: number;
  /** Patches per batch (default 16). */
  batchSize?: number;
  /** PRNG seed (default 0). */
  seed?: number;
  /** Random flips / transpose (default true). */
  augment?: boolean;
  /** Patch content: "y" (default: luma, 1 channel) or "rgb" (3 channels, for RGB networks). */
  colour?: "y" | "rgb";
  /** Round LR planes to 8 bits (default false: float, as the evaluation pipeline). */
  quantizeLR?: boolean;
  /** Decode every image at construction instead of on first use (default false). */
  preload?: boolean;
  /** Where warnings go (default console.warn). */
  warn?: (message: string) => void;
}

export interface PatchInfo {
  /** Path of the source image. */
  path: string;
  /** LR offset of the patch (before augmentation); the HR offset is (x·scale, y·scale). */
  x: number;
  y: number;
  hflip: boolean;
  vflip: boolean;
  transpose: boolean;
}

export interface Batch {
  /** LR patches, NCHW [batchSize, C, lrSize, lrSize] (C = 1: Y; C = 3: planar R, G, B), in [0,1] (float). */
  lr: Float32Array;
  /** HR patches, NCHW [batchSize, C, hrSize, hrSize]. */
  hr: Float32Array;
  lrShape: [number, number, number, number];
  hrShape: [number, number, number, number];
  patches: PatchInfo[];
}

export interface SamplerState {
  version: 1;
  /** Identifies the image list (paths in order) the state belongs to. */
  images: number;
  fingerprint: string;
  rng: RngState;
  epoch: number;
  cursor: number;
  order: number[];
}

interface Entry {
  path: string;
  width: number;
  height: number;
  planes?: { hrY: Plane; lrY: Plane };
  rgb?: { hr: Image; lr: Image };
}

/**
 * FNV-1a over the images' names with their folder's name (`bsds400/100075.png`): a cheap identity check for
 * restore() that still holds when the data sits under another root on another machine.
 */
function fingerprint(paths: string[]): string {
  return fnv1a(paths.map((p) => `${basename(dirname(p))}/${basename(p)}`));
}

/** The fingerprint of run directories written before it left out the root: the whole paths. */
function legacyFingerprint(paths: string[]): string {
  return fnv1a(paths);
}

function fnv1a(paths: string[]): string {
  let h = 0x811c9dc5;
  for (const ch of paths.join("\n")) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

export class PatchSampler {
  readonly scale: number;
  readonly patchSize: number;
  readonly lrPatchSize: number;
  readonly batchSize: number;
  readonly augment: boolean;
  readonly quantizeLR: boolean;
  /** "y" (1 channel) or "rgb" (3 channels). */
  readonly colour: "y" | "rgb";
  /** Channels per patch: 1 ("y") or 3 ("rgb"). */
  readonly channels: 1 | 3;
  private readonly entries: Entry[];
  private readonly fp: string;
  private rng: Rng;
  private order: number[] = [];
  private cursor = 0;
  private epoch = 0;
  private decodes = 0;

  constructor(opts: SamplerOptions) {
    const folders = Array.isArray(opts.folders) ? opts.folders : [opts.folders];
    if (folders.length === 0) throw new Error("PatchSampler: no folders given");
    this.scale = opts.scale;
    this.patchSize = opts.patchSize ?? 192;
    this.batchSize = opts.batchSize ?? 16;
    this.augment = opts.augment ?? true;
    this.quantizeLR = opts.quantizeLR ?? false;
    this.colour = opts.colour ?? "y";
    if (this.colour !== "y" && this.colour !== "rgb") throw new Error(`PatchSampler: colour must be "y" or "rgb", got ${JSON.stringify(this.colour)}`);
    this.channels = this.colour === "rgb" ? 3 : 1;
    if (!(Number.isInteger(this.scale) && this.scale >= 1)) throw new Error(`PatchSampler: scale must be a positive integer, got ${this.scale}`);
    if (!(Number.isInteger(this.patchSize) && this.patchSize > 0 && this.patchSize % this.scale === 0)) {
      throw new Error(`PatchSampler: patchSize ${this.patchSize} must be a positive multiple of scale ${this.scale}`);
    }
    if (!(Number.isInteger(this.batchSize) && this.batchSize > 0)) throw new Error(`PatchSampler: batchSize must be a positive integer, got ${this.batchSize}`);
    this.lrPatchSize = this.patchSize / this.scale;
    const warn = opts.warn ?? ((m: string) => console.warn(m));

    this.entries = [];
    const skipped: string[] = [];
    for (const folder of folders) {
      for (const path of listImages(folder)) {
        const info = readImageInfo(path);
        if (info.width < this.patchSize || info.height < this.patchSize) {
          skipped.push(`${basename(path)} (${info.width}x${info.height})`);
          continue;
        }
        this.entries.push({ path, width: info.width, height: info.height });
      }
    }
    if (skipped.length) {
      warn(`PatchSampler: skipped ${skipped.length} image(s) smaller than the ${this.patchSize}x${this.patchSize} patch: ${skipped.join(", ")}`);
    }
    if (this.entries.length === 0) {
      throw new Error(`${folders.join(", ")}: no image is at least ${this.patchSize}x${this.patchSize} (all ${skipped.length} skipped)`);
    }
    this.fp = fingerprint(this.entries.map((e) => e.path));
    this.rng = new Rng(opts.seed ?? 0);
    this.newEpoch(0);
    if (opts.preload) for (let i = 0; i < this.entries.length; i++) this.load(i);
  }

  /** Number of usable images. */
  get imageCount(): number {
    return this.entries.length;
  }

  /** Paths of the usable images, in index order. */
  get paths(): string[] {
    return this.entries.map((e) => e.path);
  }

  /** Decode/cache statistics. */
  stats(): { images: number; cached: number; decodes: number; epoch: number; cursor: number } {
    return { images: this.entries.length, cached: this.entries.filter((e) => e.planes || e.rgb).length, decodes: this.decodes, epoch: this.epoch, cursor: this.cursor };
  }

  private newEpoch(epoch: number): void {
    this.epoch = epoch;
    this.cursor = 0;
    this.order = this.rng.shuffle(this.entries.map((_, i) => i));
  }

  /** Cached (hrY, lrY) planes of image i, decoding on first use (Y mode only). */
  planes(i: number): { hrY: Plane; lrY: Plane } {
    if (this.colour !== "y") throw new Error(`PatchSampler.planes: the sampler works on RGB (colour "rgb"); use rgbImages()`);
    const e = this.entries[i];
    if (!e.planes) {
      const img = readImage(e.path);
      this.decodes++;
      e.planes = makeEvalPair(img, this.scale, { quantizeLR: this.quantizeLR });
    }
    return e.planes;
  }

  /** Cached (hr, lr) RGB images of image i (3 channels, HWC), decoding on first use (RGB mode only). */
  rgbImages(i: number): { hr: Image; lr: Image } {
    if (this.colour !== "rgb") throw new Error(`PatchSampler.rgbImages: the sampler works on Y (colour "y"); use planes()`);
    const e = this.entries[i];
    if (!e.rgb) {
      const img = readImage(e.path);
      this.decodes++;
      const { hr, lr } = makeRgbEvalPair(img, this.scale, { quantizeLR: this.quantizeLR });
      e.rgb = { hr, lr };
    }
    return e.rgb;
  }

  /** The cached pair of image i in this sampler's mode. */
  private load(i: number): { hr: Image; lr: Image } {
    if (this.colour === "rgb") return this.rgbImages(i);
    const { hrY, lrY } = this.planes(i);
    return { hr: hrY, lr: lrY };
  }

  /** The next batch. */
  next(): Batch {
    const B = this.batchSize, P = this.patchSize, p = this.lrPatchSize, s = this.scale, C = this.channels;
    const lr = new Float32Array(B * C * p * p);
    const hr = new Float32Array(B * C * P * P);
    const patches: PatchInfo[] = [];
    for (let b = 0; b < B; b++) {
      if (this.cursor >= this.order.length) this.newEpoch(this.epoch + 1);
      const idx = this.order[this.cursor++];
      const { hr: hrImg, lr: lrImg } = this.load(idx);
      const x = this.rng.int(lrImg.width - p + 1);
      const y = this.rng.int(lrImg.height - p + 1);
      let hflip = false, vflip = false, transpose = false;
      if (this.augment) {
        hflip = this.rng.bool();
        vflip = this.rng.bool();
        transpose = this.rng.bool();
      }
      for (let c = 0; c < C; c++) {
        copyPatch(lrImg, c, x, y, p, hflip, vflip, transpose, lr, (b * C + c) * p * p);
        copyPatch(hrImg, c, x * s, y * s, P, hflip, vflip, transpose, hr, (b * C + c) * P * P);
      }
      patches.push({ path: this.entries[idx].path, x, y, hflip, vflip, transpose });
    }
    return { lr, hr, lrShape: [B, C, p, p], hrShape: [B, C, P, P], patches };
  }

  /** Everything needed to continue the exact same sequence of batches (JSON-serialisable). */
  state(): SamplerState {
    return { version: 1, images: this.entries.length, fingerprint: this.fp, rng: this.rng.state(), epoch: this.epoch, cursor: this.cursor, order: [...this.order] };
  }

  /** Resume from `state()` (of a sampler over the same images). The image cache is kept. */
  restore(state: SamplerState): void {
    if (!state || state.version !== 1) throw new Error(`PatchSampler.restore: unsupported state version ${state?.version}`);
    const known = state.fingerprint === this.fp || state.fingerprint === legacyFingerprint(this.entries.map((e) => e.path));
    if (state.images !== this.entries.length || !known) {
      throw new Error(`PatchSampler.restore: state belongs to another image list (${state.images} images, fingerprint ${state.fingerprint}; this sampler has ${this.entries.length}, ${this.fp})`);
    }
    const n = this.entries.length;
    const seen = new Set(state.order);
    if (state.order.length !== n || seen.size !== n || state.order.some((v) => !(Number.isInteger(v) && v >= 0 && v < n))) {
      throw new Error("PatchSampler.restore: order is not a permutation of the images");
    }
    if (!(Number.isInteger(state.cursor) && state.cursor >= 0 && state.cursor <= n)) throw new Error(`PatchSampler.restore: bad cursor ${state.cursor}`);
    this.rng.restore(state.rng);
    this.order = [...state.order];
    this.cursor = state.cursor;
    this.epoch = state.epoch;
  }
}

/**
 * Copy channel `ch` of a size×size window at (x0, y0) of `src` (HWC) into `dst` at `offset` (one plane),
 * with the given flips/transpose.
 */
function copyPatch(src: Image, ch: number, x0: number, y0: number, size: number, hflip: boolean, vflip: boolean, transpose: boolean, dst: Float32Array, offset: number): void {
  const w = src.width, d = src.data, last = size - 1, n = src.channels;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      // output (row i, col j) ← source (row r, col c)
      let r = transpose ? j : i;
      let c = transpose ? i : j;
      if (vflip) r = last - r;
      if (hflip) c = last - c;
      dst[offset + i * size + j] = d[((y0 + r) * w + x0 + c) * n + ch];
    }
  }
}

export function createSampler(opts: SamplerOptions): PatchSampler {
  return new PatchSampler(opts);
}
