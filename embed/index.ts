/**
 * Embedding API: super-resolve 8-bit images with a PISR student or FSRCNN baseline checkpoint, in Bun or in a
 * browser with WebGPU, from the same source.
 *
 *   import { createUpscaler } from "pisr-webgpu";
 *   const sr = await createUpscaler();                 // the shipped ×4 weights; or { weights: safetensors bytes }
 *   const out = await sr.upscale({ width, height, channels: 4, data: rgbaBytes });   // 4× larger, RGBA
 *   console.log(sr.backend.name, sr.backend.description);                            // "webgpu", adapter
 *   sr.dispose();
 *
 * Colour follows the training/evaluation convention (train/cli.ts `upscale`): the image goes to YCbCr
 * (BT.601, MATLAB `rgb2ycbcr`), Y goes through the network, Cb and Cr are upscaled with MATLAB bicubic
 * `imresize`, and the result goes back to RGB, rounded and clamped to 8 bits. Grey images go through the
 * network as they are. Alpha is upscaled bicubically (default) or by nearest neighbour.
 *
 * Large images are processed in overlapping tiles (infer/upscale.ts) so no buffer exceeds the device's limits;
 * the tile margin covers the network's receptive field, so the seams are exact.
 *
 * Nothing here (or below it) imports Node or Bun modules: web/build.ts bundles it for the browser and fails
 * if `node:` or `bun-webgpu` shows up in the bundle.
 */
import type { Backend } from "../engine/backend.ts";
import { createBackend } from "../engine/init.ts";
import { to8 } from "../image/color.ts";
import { imresizeRows } from "../image/resize.ts";
import { mergeRows, rowsOf, type Rows } from "../image/rows.ts";
import { type Image, makeImage } from "../image/types.ts";
import { checkpointLayout, loadWeights } from "../checkpoint/layout.ts";
import type { ArchName, ModelConfig } from "../models/registry.ts";
import { PisrModel } from "../models/pisr.ts";
import { CheckpointError, decodeSafetensors } from "../checkpoint/safetensors.ts";
import { upscaleRows } from "../infer/upscale.ts";
import { SHIPPED_WEIGHTS_BASE64 } from "./shipped-weights.ts";

/** An 8-bit image, interleaved row-major: `data[(y * width + x) * channels + c]`. */
export interface Image8 {
  width: number;
  height: number;
  /** 1 = grey, 3 = RGB, 4 = RGBA */
  channels: 1 | 3 | 4;
  data: Uint8Array | Uint8ClampedArray;
}

/** What `upscale` returns: same channel layout as the input, `scale`× wider and taller. */
export interface UpscaledImage extends Image8 {
  data: Uint8ClampedArray;
}

export type BackendPreference = "auto" | "webgpu" | "cpu";

export interface UpscalerOptions {
  /**
   * safetensors bytes of a student or baseline checkpoint (this project's, or PyTorch PISR's with the official
   * names); default: the shipped ×4 weights (weights/README.md), which every build of this package embeds
   */
  weights?: Uint8Array | ArrayBuffer;
  /** the scale you expect; an error if the checkpoint was trained for another one */
  scale?: number;
  /**
   * "auto" (default): WebGPU when the runtime offers a working adapter, else the CPU reference backend
   * (see `Upscaler.backend.fallbackReason`); "webgpu": WebGPU or an error; "cpu": the CPU backend; or a
   * backend you created (it is not destroyed by `dispose`).
   */
  backend?: BackendPreference | Backend;
  /**
   * The WebGPU entry point to use: `navigator.gpu` is found on its own in browsers and Deno, and Bun uses
   * bun-webgpu; under Node pass one (e.g. `create([])` from the `webgpu` package), or the CPU backend is used.
   */
  gpu?: GPU;
  /** LR tile side in pixels; by default the whole image when it fits the device's buffer limit, else ≈ 16 MiB activations */
  tile?: number;
  /** how alpha is upscaled (default "bicubic") */
  alpha?: "bicubic" | "nearest";
}

export interface UpscaleOptions {
  /** overrides the upscaler's tile size for this call */
  tile?: number;
  /** overrides the upscaler's alpha mode for this call */
  alpha?: "bicubic" | "nearest";
}

export interface BackendInfo {
  name: "webgpu" | "cpu";
  /** e.g. the adapter ("llvmpipe (LLVM 19.1.7, 256 bits), cpu, mesa") or "CPU (float32)" */
  description: string;
  /** set when "auto" wanted WebGPU and fell back to the CPU: why WebGPU was not used */
  fallbackReason?: string;
}

export interface Upscaler {
  readonly scale: number;
  /** the network: fsrcnn, vdsr, idn, carn or carn-m (models/registry.ts) */
  readonly arch: ArchName;
  readonly architecture: "student" | "baseline";
  readonly backend: BackendInfo;
  /** the checkpoint's safetensors metadata (architecture, scale, model_config, and whatever training added) */
  readonly metadata: Readonly<Record<string, string>>;
  upscale(image: Image8, opts?: UpscaleOptions): Promise<UpscaledImage>;
  /** frees the model's tensors and, if the upscaler created it, the backend; the upscaler is unusable after */
  dispose(): void;
}

/**
 * Reads and checks a checkpoint from bytes (browser-safe counterpart of train/models-io.ts `loadModel`). Files
 * written from PyTorch without this project's header are read by their tensor names and shapes; `scale` is
 * then needed when the header does not give one.
 */
export function readCheckpoint(weights: Uint8Array | ArrayBuffer, scale?: number): { arch: ArchName; architecture: "student" | "baseline"; config: ModelConfig; metadata: Record<string, string>; tensors: Map<string, { shape: number[]; data: Float32Array }> } {
  let bytes: Uint8Array;
  if (weights instanceof Uint8Array) bytes = weights;
  else if (weights instanceof ArrayBuffer) bytes = new Uint8Array(weights);
  else if (ArrayBuffer.isView(weights)) bytes = new Uint8Array((weights as ArrayBufferView).buffer, (weights as ArrayBufferView).byteOffset, (weights as ArrayBufferView).byteLength);
  else throw new TypeError(`weights must be the bytes of a safetensors file (Uint8Array or ArrayBuffer), got ${describe(weights)}`);
  let checkpoint;
  try {
    checkpoint = decodeSafetensors(bytes, "weights");
  } catch (e) {
    if (e instanceof CheckpointError) throw new Error(`weights are not a valid safetensors checkpoint: ${e.problem}`);
    throw e;
  }
  const { tensors, metadata } = checkpoint;
  const layout = checkpointLayout(tensors, metadata, { source: "weights", scale });
  if (!layout) {
    throw new Error("weights have no PISR architecture in their safetensors metadata (found undefined) and no PISR tensor names (backbone.network.…); expected a student or baseline checkpoint");
  }
  const { arch, architecture, config } = layout;
  if (architecture === "teacher") {
    throw new Error("weights are a teacher checkpoint: the teacher needs the HR image; use a student or baseline checkpoint to upscale");
  }
  return { arch, architecture, config, metadata, tensors };
}

/** Builds an upscaler from checkpoint bytes. */
export async function createUpscaler(opts: UpscalerOptions = {}): Promise<Upscaler> {
  if (!opts || typeof opts !== "object") throw new TypeError("createUpscaler takes an options object: { weights?, scale?, backend? }");
  const { arch, architecture, config, metadata, tensors } = readCheckpoint(opts.weights ?? shippedWeights(), opts.scale);
  if (opts.scale !== undefined && opts.scale !== config.scale) {
    throw new Error(`the weights are for ×${config.scale}, but scale ${opts.scale} was asked for`);
  }
  if (opts.tile !== undefined) checkTile(opts.tile);
  const defaultAlpha = checkAlpha(opts.alpha ?? "bicubic");

  const pref = opts.backend ?? "auto";
  let backend: Backend;
  let owned = true;
  let fallbackReason: string | undefined;
  if (typeof pref === "string") {
    if (!["auto", "webgpu", "cpu"].includes(pref)) throw new Error(`unknown backend "${pref}": use "auto", "webgpu" or "cpu"`);
    backend = await createBackend(pref, (line) => {
      fallbackReason = line.replace(/^note: /, "");
    }, opts.gpu);
  } else {
    backend = pref;
    owned = false;
  }

  let model: PisrModel;
  try {
    model = new PisrModel(architecture, config, { arch, backend });
    await loadWeights(model, tensors);
  } catch (e) {
    if (owned) backend.destroy();
    throw new Error(`weights do not fit a ${arch} ${architecture} with config ${JSON.stringify(config)}: ${(e as Error).message}`);
  }

  const scale = model.config.scale;
  let disposed = false;
  let queue: Promise<unknown> = Promise.resolve();
  const info: BackendInfo = { name: backend.name, description: backend.description, ...(fallbackReason ? { fallbackReason } : {}) };

  const run = async (image: Image8, o: UpscaleOptions): Promise<UpscaledImage> => {
    if (disposed) throw new Error("this upscaler has been disposed");
    const tile = o.tile ?? opts.tile;
    if (tile !== undefined) checkTile(tile);
    const alpha = checkAlpha(o.alpha ?? defaultAlpha);
    const img = toFloat(image);
    const { width: W, height: H, channels: c } = img;
    const colour = c === 1 ? img : makeImage(W, H, 3, c === 3 ? img.data : dropAlpha(img.data, W * H));
    // row by row into the bytes: the float result is never whole (an upscaled photo's would be 0.5 GB)
    let out = await upscaleRows(model, backend, colour, { tile });
    if (c === 4) {
      const a = makeImage(W, H, 1, alphaOf(img.data, W * H));
      out = mergeRows([out, alpha === "nearest" ? rowsOf(nearest(a, scale)) : imresizeRows(a, scale)]);
    }
    return toBytes(out);
  };

  return {
    scale,
    arch,
    architecture,
    backend: info,
    metadata,
    upscale(image: Image8, o: UpscaleOptions = {}) {
      // one image at a time: the model and backend are shared
      const result = queue.then(() => run(image, o));
      queue = result.catch(() => {});
      return result;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      model.dispose();
      if (owned) backend.destroy();
    },
  };
}

/** The shipped default checkpoint's bytes (embed/shipped-weights.ts, generated by scripts/ship-weights.ts). */
export function shippedWeights(): Uint8Array {
  const text = atob(SHIPPED_WEIGHTS_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** MATLAB bicubic `imresize` of an 8-bit image (every channel, alpha included), rounded to 8 bits. */
export function bicubicUpscale(image: Image8, scale: number): UpscaledImage {
  if (!(Number.isInteger(scale) && scale >= 1)) throw new Error(`scale must be a positive integer, got ${scale}`);
  return toBytes(imresizeRows(toFloat(image), scale));
}

// ───────────────────────────── helpers ─────────────────────────────

/** Validates an 8-bit image and converts it to float [0, 1]. */
function toFloat(image: Image8): Image {
  if (!image || typeof image !== "object") throw new TypeError(`image must be { width, height, channels, data }, got ${describe(image)}`);
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`image size must be positive integers, got ${width}×${height}`);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new Error(`image channels must be 1 (grey), 3 (RGB) or 4 (RGBA), got ${channels}`);
  }
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new TypeError(`image data must be a Uint8Array or Uint8ClampedArray of 8-bit samples, got ${describe(data)}`);
  }
  const n = width * height * channels;
  if (data.length !== n) throw new Error(`image data has ${data.length} bytes, expected ${width}×${height}×${channels} = ${n}`);
  const f = new Float32Array(n);
  for (let i = 0; i < n; i++) f[i] = data[i] / 255;
  return makeImage(width, height, channels, f);
}

/** Float [0, 1] → 8-bit, rounded and clamped (NaN → 0), as `quantize8` and PNG writing do. */
function toBytes(rows: Rows): UpscaledImage {
  const len = rows.width * rows.channels;
  const out = new Uint8ClampedArray(len * rows.height);
  for (let y = 0; y < rows.height; y++) {
    const row = rows.row(y);
    for (let i = 0; i < len; i++) out[y * len + i] = to8(row[i]);
  }
  return { width: rows.width, height: rows.height, channels: rows.channels as 1 | 3 | 4, data: out };
}

function dropAlpha(rgba: Float32Array, n: number): Float32Array {
  const rgb = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    rgb[3 * i] = rgba[4 * i];
    rgb[3 * i + 1] = rgba[4 * i + 1];
    rgb[3 * i + 2] = rgba[4 * i + 2];
  }
  return rgb;
}

function alphaOf(rgba: Float32Array, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rgba[4 * i + 3];
  return a;
}

/** Nearest-neighbour upscaling of a plane by an integer factor. */
function nearest(p: Image, s: number): Image {
  const W = p.width * s, H = p.height * s;
  const out = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    const row = Math.floor(y / s) * p.width;
    for (let x = 0; x < W; x++) out[y * W + x] = p.data[row + Math.floor(x / s)];
  }
  return makeImage(W, H, 1, out);
}

function checkTile(tile: number): void {
  if (!Number.isInteger(tile) || tile < 1) throw new Error(`tile must be a positive integer, got ${tile}`);
}

function checkAlpha(mode: string): "bicubic" | "nearest" {
  if (mode !== "bicubic" && mode !== "nearest") throw new Error(`alpha must be "bicubic" or "nearest", got ${JSON.stringify(mode)}`);
  return mode;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return `a ${v.constructor.name}`;
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}
