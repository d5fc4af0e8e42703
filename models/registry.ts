// Every super-resolution network PISR can teach, by name: how to build it from its configuration, what it
// takes in, how far it looks (tiled inference's margins), how wide its activations get (tile sizes), and the
// feature layer distillation reads. The trainer, checkpoints, inference, embed/ and the CLI go through this
// table and nothing else knows an architecture's internals.

import type { Backend } from "../engine/backend.ts";
import type { nn, Rng, Tensor } from "../engine/index.ts";
import { Carn, resolveCarnConfig } from "./carn.ts";
import { CarnM, resolveCarnMConfig } from "./carn-m.ts";
import { FsrcnnNetwork, resolveConfig as resolveFsrcnnConfig } from "./fsrcnn.ts";
import { Idn, resolveIdnConfig } from "./idn.ts";
import { resolveVdsrConfig, Vdsr } from "./vdsr.ts";

export const ARCHITECTURES = ["fsrcnn", "vdsr", "idn", "carn", "carn-m"] as const;
export type ArchName = (typeof ARCHITECTURES)[number];

/** A network's configuration: the scale and whatever else its architecture takes (defaults filled by `resolve`). */
export type ModelConfig = { scale: number } & Record<string, unknown>;

/** What every network exposes: the features distillation reads, and the HR output. */
export interface SrNetwork extends nn.Module {
  features(lr: Tensor): { distilled: Tensor; hr: Tensor };
  /** the distilled features alone, without the layers after them (a frozen teacher needs no more) */
  distilled(lr: Tensor): Tensor;
  forward(lr: Tensor): Tensor;
}

export interface ArchSpec {
  name: ArchName;
  /** image channels the network takes and returns: 1 = the Y channel, 3 = RGB */
  imageChannels(config: ModelConfig): 1 | 3;
  /** the widths of a teacher's encoder in front of this network (the official lcscc takes FSRCNN's d and s) */
  encoderWidths(config: ModelConfig): { d: number; s: number };
  /** the configuration with every default filled in; throws on an invalid one */
  resolve(config: ModelConfig): ModelConfig;
  /** the network, parameters named as its reference implementation names them */
  build(config: ModelConfig, rng: Rng, backend?: Backend): SrNetwork;
  /** LR pixels of context each side of a tile, so that tiled inference equals one pass over the whole image */
  margin(config: ModelConfig): number;
  /** values of the widest activation per LR pixel (tile sizes are chosen so that it fits a buffer) */
  activationsPerLrPixel(config: ModelConfig): number;
  /** the layer whose output distillation reads (the last LR-resolution features before upsampling, VDSR aside) */
  distilledLayer: string;
  distilledChannels(config: ModelConfig): number;
}

const num = (c: ModelConfig, key: string) => c[key] as number;

/** The encoder of the official FSRCNN teacher (d 56, s 12), in front of the networks the official code does not cover. */
const FSRCNN_ENCODER = { d: 56, s: 12 };

/** LR pixels a transposed conv (kernel k, padding p, stride = scale) reads around an HR pixel's own. */
const deconvReach = (padding: number, scale: number) => Math.ceil(padding / scale) + 1;

const SPECS: Record<ArchName, ArchSpec> = {
  fsrcnn: {
    name: "fsrcnn",
    imageChannels: (c) => num(c, "channels") as 1 | 3,
    encoderWidths: (c) => ({ d: num(c, "d"), s: num(c, "s") }),
    resolve: (c) => resolveFsrcnnConfig(c),
    build: (c, rng, backend) => new FsrcnnNetwork(resolveFsrcnnConfig(c), rng, backend),
    // the 5×5 feature extraction reaches 2, each of the m 3×3 mapping layers 1, the 9×9 transposed conv ⌈4/s⌉ + 1
    margin: (c) => 2 + num(c, "m") + deconvReach(4, c.scale),
    activationsPerLrPixel: (c) => Math.max(num(c, "d"), c.scale * c.scale),
    distilledLayer: "expanding",
    distilledChannels: (c) => num(c, "d"),
  },
  vdsr: {
    name: "vdsr",
    imageChannels: () => 1,
    encoderWidths: () => FSRCNN_ENCODER,
    resolve: (c) => resolveVdsrConfig(c),
    build: (c, rng, backend) => new Vdsr(resolveVdsrConfig(c), { rng, backend }),
    // depth + 2 3×3 convs at HR size, after a bicubic upscaling that reads 2 LR pixels each side (+1: rounding)
    margin: (c) => Math.ceil((num(c, "depth") + 2) / c.scale) + 3,
    activationsPerLrPixel: (c) => num(c, "width") * c.scale * c.scale,
    distilledLayer: "residual_layer",
    distilledChannels: (c) => num(c, "width"),
  },
  idn: {
    name: "idn",
    imageChannels: () => 1,
    encoderWidths: () => FSRCNN_ENCODER,
    resolve: (c) => resolveIdnConfig(c),
    build: (c, rng, backend) => new Idn(resolveIdnConfig(c), { rng, backend }),
    // two 3×3 convs in the FBlock, six in each of the 4 DBlocks, then the 17×17 transposed conv (padding 8)
    margin: (c) => 2 + 4 * 6 + deconvReach(8, c.scale),
    activationsPerLrPixel: (c) => Math.max(num(c, "width") + num(c, "d"), c.scale * c.scale),
    distilledLayer: "dblocks",
    distilledChannels: (c) => num(c, "width"),
  },
  carn: {
    name: "carn",
    imageChannels: () => 3,
    encoderWidths: () => FSRCNN_ENCODER,
    resolve: (c) => resolveCarnConfig(c),
    build: (c, rng, backend) => new Carn(resolveCarnConfig(c), { rng, backend }),
    // entry 1 + three cascades of three residual blocks (two 3×3 each) + the upsampler's and exit's 3×3 convs (≤ 1 LR pixel each)
    margin: () => 1 + 3 * 3 * 2 + 3,
    activationsPerLrPixel: (c) => num(c, "width") * c.scale * c.scale,
    distilledLayer: "c3",
    distilledChannels: (c) => num(c, "width"),
  },
  "carn-m": {
    name: "carn-m",
    imageChannels: () => 3,
    encoderWidths: () => FSRCNN_ENCODER,
    resolve: (c) => resolveCarnMConfig(c),
    build: (c, rng, backend) => new CarnM(resolveCarnMConfig(c), { rng, backend }),
    // as CARN: each cascade applies its efficient residual block (two grouped 3×3 convs) three times
    margin: () => 1 + 3 * 3 * 2 + 3,
    activationsPerLrPixel: (c) => num(c, "width") * c.scale * c.scale,
    distilledLayer: "c3",
    distilledChannels: (c) => num(c, "width"),
  },
};

export function isArchName(name: unknown): name is ArchName {
  return typeof name === "string" && (ARCHITECTURES as readonly string[]).includes(name);
}

export function archSpec(name: string): ArchSpec {
  if (!isArchName(name)) throw new Error(`unknown architecture "${name}": use ${ARCHITECTURES.join(", ")}`);
  return SPECS[name];
}
