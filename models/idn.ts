// IDN (Hui et al., 2018, "Fast and Accurate Single Image Super-Resolution via Information Distillation Network")
// laid out as yjn870/IDN-pytorch's model.py, so that parameter names match its state dict: fblock.module.{0,2},
// dblocks.{0..3}.{enhancement_top,enhancement_bottom}.{0,2,4}, dblocks.N.compression, deconv.
// Two departures from yjn870, both toward the paper and its Caffe original (Zheng222/IDN-Caffe):
//   - the Y channel (1 → 64 in, 64 → 1 out; yjn870 is RGB): 552,769 parameters at every scale, the paper's count
//     (yjn870's RGB net has 590,915);
//   - the 17×17 transposed conv's output padding is scale − 1, so the output is exactly scale·H × scale·W
//     (yjn870 hard-codes 1, which is right only at ×2). It has no parameters.
// The bicubic skip is the engine's MATLAB bicubic (resizeBicubic, Keys a = −0.5, as the Caffe original's MATLAB
// data preparation), not yjn870's F.interpolate (a = −0.75): the two differ slightly, so the golden fixture checks
// only the network part (`residual`), and the skip is checked against resizeBicubic.

import type { Backend } from "../engine/backend.ts";
import { add, concat, narrow, nn, type Rng, type Tensor, resizeBicubic } from "../engine/index.ts";
import { type BuildOptions, rngOf } from "./fsrcnn.ts";
import type { StudentFeatures } from "./student-features.ts";

export interface IdnConfig {
  scale: number;
  /** feature channels (the paper's 64) */
  width?: number;
  /** channels distilled per block, d (the paper's 16; the slice kept aside is width / s = d, s = 4) */
  d?: number;
}

export function resolveIdnConfig(c: IdnConfig): Required<IdnConfig> {
  if (![2, 3, 4].includes(c.scale)) throw new Error(`scale must be 2, 3 or 4, got ${c.scale}`);
  const r = { scale: c.scale, width: c.width ?? 64, d: c.d ?? 16 };
  // the grouped convs (g = 4) need width − d and width − 2d divisible by 4
  if (r.d <= 0 || 2 * r.d >= r.width || (r.width - r.d) % 4 || (r.width - 2 * r.d) % 4) throw new Error(`IDN: width ${r.width} and d ${r.d} do not fit the grouped convs`);
  return r;
}

export interface IdnFeatures extends StudentFeatures {
  /** the network's output before the bicubic skip is added */
  residual: Tensor;
}

const SLOPE = 0.05;

/** model.py's `_initialize_weights`: He normal (fan_in) weights; biases keep PyTorch's rule (yjn870 zeroes them). */
const conv = (cin: number, cout: number, k: number, rng: Rng, backend?: Backend, groups = 1) =>
  new nn.Conv2d(cin, cout, k, { padding: Math.floor(k / 2), groups, init: nn.init.kaimingNormal(), rng, backend });

/** model.py's DBlock: enhancement unit (grouped convs, the last d channels kept aside) + 1×1 compression unit. */
class DistillationBlock extends nn.Module {
  readonly top: nn.Sequential;
  readonly bottom: nn.Sequential;
  readonly compression: nn.Conv2d;
  constructor(readonly width: number, readonly d: number, rng: Rng, backend?: Backend) {
    super();
    const w = width;
    const lrelu = () => new nn.LeakyReLU(SLOPE);
    this.top = this.addModule("enhancement_top", new nn.Sequential(
      conv(w, w - d, 3, rng, backend), lrelu(), conv(w - d, w - 2 * d, 3, rng, backend, 4), lrelu(), conv(w - 2 * d, w, 3, rng, backend), lrelu()));
    this.bottom = this.addModule("enhancement_bottom", new nn.Sequential(
      conv(w - d, w, 3, rng, backend), lrelu(), conv(w, w - d, 3, rng, backend, 4), lrelu(), conv(w - d, w + d, 3, rng, backend), lrelu()));
    this.compression = this.addModule("compression", conv(w + d, w, 1, rng, backend));
  }
  forward(x: Tensor): Tensor {
    const top = this.top.forward(x);
    const kept = this.width - this.d; // model.py's int(num_features − num_features / s) with s = width / d
    const out = this.bottom.forward(narrow(top, 1, 0, kept));
    return this.compression.forward(add(out, concat([x, narrow(top, 1, kept, this.d)])));
  }
}

export class Idn extends nn.Module {
  readonly config: Required<IdnConfig>;
  readonly fblock: nn.Sequential;
  readonly dblocks: nn.Sequential;
  readonly deconv: nn.ConvTranspose2d;
  /** PISR would distil the last DBlock's output: the last LR-resolution features (width channels) */
  readonly distilledLayer = "dblocks";

  constructor(config: IdnConfig, opts: BuildOptions = {}) {
    super();
    this.config = resolveIdnConfig(config);
    const { scale, width, d } = this.config;
    const rng = rngOf(opts), backend = opts.backend;
    const fblock = new nn.Sequential(conv(1, width, 3, rng, backend), new nn.LeakyReLU(SLOPE), conv(width, width, 3, rng, backend), new nn.LeakyReLU(SLOPE));
    this.fblock = fblock;
    this.addModule("fblock", new nn.ModuleDict({ module: fblock })); // model.py's FBlock wraps its Sequential as `module`
    this.dblocks = this.addModule("dblocks", new nn.Sequential(...Array.from({ length: 4 }, () => new DistillationBlock(width, d, rng, backend))));
    this.deconv = this.addModule("deconv", new nn.ConvTranspose2d(width, 1, 17, {
      stride: scale, padding: 8, outputPadding: scale - 1, init: nn.init.kaimingNormal(), rng, backend,
    }));
  }

  /** The last DBlock's output alone. */
  distilled(lr: Tensor): Tensor {
    return this.dblocks.forward(this.fblock.forward(lr));
  }

  /** The network without the bicubic skip (what the fixture compares with model.py). */
  networkFeatures(lr: Tensor): StudentFeatures {
    const distilled = this.dblocks.forward(this.fblock.forward(lr));
    return { distilled, hr: this.deconv.forward(distilled) };
  }

  /** model.py's forward on the Y channel: the network's residual plus the MATLAB-bicubic upscaled input. */
  features(lr: Tensor): IdnFeatures {
    const { distilled, hr: residual } = this.networkFeatures(lr);
    return { distilled, residual, hr: add(resizeBicubic(lr, this.config.scale), residual) };
  }

  forward(lr: Tensor): Tensor {
    return this.features(lr).hr;
  }
}
