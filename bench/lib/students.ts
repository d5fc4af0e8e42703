// The student workloads of bench/run.ts (S1-<arch>: inference, S2-<arch>: one training step, for VDSR, IDN,
// CARN and CARN-M; bench/workloads.ts, bench/README.md "Student workloads"): the convolutions of each network,
// counted analytically for the nominal FLOPs, and how the engine's worker (bench/lib/students-worker.ts) fits a
// workload into the device's largest buffer (tiles for inference, micro-batches for training).
//
// The tables below follow models/vdsr.ts, idn.ts, carn.ts and carn-m.ts layer by layer, in forward order (the
// first entry is the conv that reads the data); test/bench/students.test.ts checks them against the convolutions a
// real PisrModel runs.

import type { Backend } from "../../engine/backend.ts";
import { defaultTile } from "../../infer/upscale.ts";
import { archSpec, type ModelConfig } from "../../models/registry.ts";

export const STUDENT_ARCHS = ["vdsr", "idn", "carn", "carn-m"] as const;
export type StudentArch = (typeof STUDENT_ARCHS)[number];

/** The workloads' sizes (×4 as B0–B3; S1 as B3, S2 as B1), and the tiny ones of the workers' --smoke (tests). */
export const STUDENT_SIZES = {
  scale: 4,
  infer: { width: 480, height: 270 },
  train: { batch: 16, lrPatch: 48 },
  smoke: { infer: { width: 20, height: 12 }, train: { batch: 2, lrPatch: 8 } },
} as const;

/** One convolution of a network, for one image. */
export interface ConvLayer {
  layer: string;
  cin: number;
  cout: number;
  k: number;
  groups: number;
  /** the size it is counted over: its output (conv), its input (transposed conv: every input pixel meets every tap) */
  h: number;
  w: number;
  transposed?: boolean;
}

/** Multiply-adds of one convolution: Cin/g · Cout · k² · H · W (H×W: output of a conv, input of a transposed conv). */
export const convMacs = (c: ConvLayer): number => (c.cin / c.groups) * c.cout * c.k * c.k * c.h * c.w;

const num = (c: ModelConfig, key: string) => c[key] as number;

/** The network's configuration with its defaults (models/registry.ts), at `scale`. */
export const studentConfig = (arch: StudentArch, scale: number = STUDENT_SIZES.scale): ModelConfig => archSpec(arch).resolve({ scale });

const conv = (layer: string, cin: number, cout: number, k: number, h: number, w: number, groups = 1): ConvLayer => ({ layer, cin, cout, k, groups, h, w });

/** models/vdsr.ts: everything at HR size, on the bicubic-upscaled Y channel. */
function vdsrConvs(c: ModelConfig, H: number, W: number): ConvLayer[] {
  const s = c.scale, w = num(c, "width"), hh = H * s, ww = W * s;
  return [
    conv("input 3×3 1→" + w, 1, w, 3, hh, ww),
    ...Array.from({ length: num(c, "depth") }, (_, i) => conv(`residual_layer.${i} 3×3 ${w}→${w}`, w, w, 3, hh, ww)),
    conv(`output 3×3 ${w}→1`, w, 1, 3, hh, ww),
  ];
}

/** models/idn.ts: FBlock, 4 DBlocks (grouped convs, g = 4), the 17×17 transposed conv. */
function idnConvs(c: ModelConfig, H: number, W: number): ConvLayer[] {
  const w = num(c, "width"), d = num(c, "d");
  const dblock = (i: number): ConvLayer[] => [
    conv(`dblocks.${i}.enhancement_top.0 3×3 ${w}→${w - d}`, w, w - d, 3, H, W),
    conv(`dblocks.${i}.enhancement_top.2 3×3 ${w - d}→${w - 2 * d} g4`, w - d, w - 2 * d, 3, H, W, 4),
    conv(`dblocks.${i}.enhancement_top.4 3×3 ${w - 2 * d}→${w}`, w - 2 * d, w, 3, H, W),
    conv(`dblocks.${i}.enhancement_bottom.0 3×3 ${w - d}→${w}`, w - d, w, 3, H, W),
    conv(`dblocks.${i}.enhancement_bottom.2 3×3 ${w}→${w - d} g4`, w, w - d, 3, H, W, 4),
    conv(`dblocks.${i}.enhancement_bottom.4 3×3 ${w - d}→${w + d}`, w - d, w + d, 3, H, W),
    conv(`dblocks.${i}.compression 1×1 ${w + d}→${w}`, w + d, w, 1, H, W),
  ];
  return [
    conv(`fblock.module.0 3×3 1→${w}`, 1, w, 3, H, W),
    conv(`fblock.module.2 3×3 ${w}→${w}`, w, w, 3, H, W),
    ...[0, 1, 2, 3].flatMap(dblock),
    { ...conv(`deconv T17×17 ${w}→1 s${c.scale}`, w, 1, 17, H, W), transposed: true },
  ];
}

/** CARN and CARN-M's upsampler (ops.UpsampleBlock): ×2 stages of conv to 4·w + PixelShuffle(2), ×3 one conv to 9·w. */
function upsampleConvs(c: ModelConfig, H: number, W: number, groups: number): ConvLayer[] {
  const w = num(c, "width"), g = groups > 1 ? ` g${groups}` : "";
  if (c.scale === 3) return [conv(`upsample.up.body.0 3×3 ${w}→${9 * w}${g}`, w, 9 * w, 3, H, W, groups)];
  return Array.from({ length: Math.log2(c.scale) }, (_, i) =>
    conv(`upsample.up.body.${3 * i} 3×3 ${w}→${4 * w}${g}`, w, 4 * w, 3, H << i, W << i, groups));
}

/**
 * carn.py and carn_m.py's cascade, inside and outside the blocks: unit j (a residual block, or a whole block) and
 * then the 1×1 fusion c<j> over the (j + 1)·w channels joined so far.
 */
const cascadeConvs = (prefix: string, units: ConvLayer[][], w: number, H: number, W: number): ConvLayer[] =>
  units.flatMap((unit, i) => [...unit, conv(`${prefix}c${i + 1}.body.0 1×1 ${(i + 2) * w}→${w}`, (i + 2) * w, w, 1, H, W)]);

/** models/carn.ts: entry, 3 cascading blocks of 3 residual blocks, the global fusions, upsampler, exit (RGB). */
function carnConvs(c: ModelConfig, H: number, W: number): ConvLayer[] {
  const w = num(c, "width"), s = c.scale;
  const residual = (i: number, j: number) => [0, 2].map((k) => conv(`b${i}.b${j}.body.${k} 3×3 ${w}→${w}`, w, w, 3, H, W));
  const block = (i: number) => cascadeConvs(`b${i}.`, [1, 2, 3].map((j) => residual(i, j)), w, H, W);
  return [
    conv(`entry 3×3 3→${w}`, 3, w, 3, H, W),
    ...cascadeConvs("", [1, 2, 3].map(block), w, H, W),
    ...upsampleConvs(c, H, W, 1),
    conv(`exit 3×3 ${w}→3`, w, 3, 3, H * s, W * s),
  ];
}

/** models/carn-m.ts: as CARN, but each block applies its one EResidualBlock three times (grouped 3×3 convs), grouped upsampler. */
function carnMConvs(c: ModelConfig, H: number, W: number): ConvLayer[] {
  const w = num(c, "width"), g = num(c, "group"), s = c.scale;
  const eresidual = (i: number, use: number) => [
    conv(`b${i}.b1.body.0 3×3 ${w}→${w} g${g} (use ${use})`, w, w, 3, H, W, g),
    conv(`b${i}.b1.body.2 3×3 ${w}→${w} g${g} (use ${use})`, w, w, 3, H, W, g),
    conv(`b${i}.b1.body.4 1×1 ${w}→${w} (use ${use})`, w, w, 1, H, W),
  ];
  const block = (i: number) => cascadeConvs(`b${i}.`, [1, 2, 3].map((use) => eresidual(i, use)), w, H, W);
  return [
    conv(`entry 3×3 3→${w}`, 3, w, 3, H, W),
    ...cascadeConvs("", [1, 2, 3].map(block), w, H, W),
    ...upsampleConvs(c, H, W, g),
    conv(`exit 3×3 ${w}→3`, w, 3, 3, H * s, W * s),
  ];
}

/**
 * The convolutions of one forward pass of `arch` (a baseline/student network, no encoder) on one LR image of
 * H×W, in forward order: the first reads the data (VDSR: the bicubic-upscaled image).
 */
export function studentConvs(arch: StudentArch, H: number, W: number, config: ModelConfig = studentConfig(arch)): ConvLayer[] {
  const c = archSpec(arch).resolve(config);
  switch (arch) {
    case "vdsr":
      return vdsrConvs(c, H, W);
    case "idn":
      return idnConvs(c, H, W);
    case "carn":
      return carnConvs(c, H, W);
    case "carn-m":
      return carnMConvs(c, H, W);
  }
}

/** Multiply-adds of one forward pass of `arch` on `batch` LR images of H×W. */
export function studentForwardMacs(arch: StudentArch, batch: number, H: number, W: number, config?: ModelConfig): number {
  return batch * studentConvs(arch, H, W, config).reduce((a, c) => a + convMacs(c), 0);
}

// ------------------------------------------------------------------------- fitting the device's buffers ----

/** A workload's largest single activation: the widest one per LR pixel (models/registry.ts) × LR pixels. */
export function widestActivation(arch: StudentArch, lrPixels: number, scale: number = STUDENT_SIZES.scale): number {
  return archSpec(arch).activationsPerLrPixel(studentConfig(arch, scale)) * lrPixels;
}

/**
 * Inference on one H×W image: in one pass when its widest activation fits a buffer of `maxElements` values
 * (tile null); otherwise in the tiles infer/upscale.ts would use (the LR tile side, and how many tiles).
 */
export function inferencePlan(arch: StudentArch, H: number, W: number, maxElements: number): { tile: number | null; tiles: number; margin: number } {
  const spec = archSpec(arch), c = studentConfig(arch);
  const margin = spec.margin(c);
  if (widestActivation(arch, H * W) <= maxElements) return { tile: null, tiles: 1, margin };
  // defaultTile reads nothing but the backend's maxElements
  const tile = defaultTile({ maxElements } as Backend, spec.activationsPerLrPixel(c), margin);
  return { tile, tiles: Math.ceil(W / tile) * Math.ceil(H / tile), margin };
}

/**
 * A training batch split into the fewest micro-batches whose widest activation fits a buffer of `maxElements`
 * values, sizes as even as possible (one micro-batch, the whole batch, when it fits).
 */
export function microBatches(batch: number, perSample: number, maxElements: number): number[] {
  const fit = Math.max(1, Math.floor(maxElements / perSample));
  const k = Math.ceil(batch / fit);
  return Array.from({ length: k }, (_, i) => Math.floor((batch * (i + 1)) / k) - Math.floor((batch * i) / k));
}
