// VDSR (Kim et al., 2016) laid out as twtygqyy/pytorch-vdsr's vdsr.py, so parameter names match its state dict:
// residual_layer.{0..17}.conv.weight, input.weight, output.weight. twtygqyy drops the biases (664,704
// parameters); the paper has them (665,921): `bias` builds either, adding `.bias` to every conv.
// The network works at HR size on the Y channel: its input is the LR image upscaled by MATLAB bicubic (as
// twtygqyy's data/generate_train.m prepares it), and it predicts the residual added back to that input.

import { add, nn, relu, resizeBicubic, type Tensor } from "../engine/index.ts";
import type { BuildOptions } from "./fsrcnn.ts";
import { rngOf } from "./fsrcnn.ts";
import type { StudentFeatures } from "./student-features.ts";

export interface VdsrConfig {
  scale: number;
  /** biases on every conv: true as the paper (the default), false as twtygqyy */
  bias?: boolean;
  /** hidden 3×3 conv + ReLU layers between `input` and `output` (18: 20 conv layers in all) */
  depth?: number;
  /** channels of every hidden layer */
  width?: number;
}

export function resolveVdsrConfig(c: VdsrConfig): Required<VdsrConfig> {
  if (![2, 3, 4].includes(c.scale)) throw new Error(`scale must be 2, 3 or 4, got ${c.scale}`);
  return { scale: c.scale, bias: c.bias ?? true, depth: c.depth ?? 18, width: c.width ?? 64 };
}

export interface VdsrFeatures extends StudentFeatures {
  /** the bicubic-upscaled LR image: the network's input and the base its residual is added to */
  upscaled: Tensor;
}

/** twtygqyy's Conv_ReLU_Block: the conv is its only parameterised child, hence `….conv.weight`. */
class ConvReluBlock extends nn.Module {
  readonly conv: nn.Conv2d;
  constructor(conv: nn.Conv2d) {
    super();
    this.conv = this.addModule("conv", conv);
  }
  forward(x: Tensor): Tensor {
    return relu(this.conv.forward(x));
  }
}

export class Vdsr extends nn.Module {
  readonly config: Required<VdsrConfig>;
  readonly residualLayer: nn.Sequential;
  readonly input: nn.Conv2d;
  readonly output: nn.Conv2d;
  /**
   * PISR would distil the output of the last hidden layer (`residual_layer`'s, width channels): VDSR has no
   * LR-resolution features, and this is its last layer before the 1-channel output.
   */
  readonly distilledLayer = "residual_layer";

  constructor(config: VdsrConfig, opts: BuildOptions = {}) {
    super();
    this.config = resolveVdsrConfig(config);
    const { bias, depth, width } = this.config;
    const rng = rngOf(opts);
    // twtygqyy draws every conv weight from N(0, 2 / (k·k·out)): He normal over fan_out; biases keep PyTorch's rule
    const conv = (cin: number, cout: number) =>
      new nn.Conv2d(cin, cout, 3, { padding: 1, bias, init: nn.init.kaimingNormal({ mode: "fan_out" }), rng, backend: opts.backend });
    // registered in vdsr.py's declaration order, so namedParameters() lists them as its state_dict() does
    this.residualLayer = this.addModule("residual_layer", new nn.Sequential(...Array.from({ length: depth }, () => new ConvReluBlock(conv(width, width)))));
    this.input = this.addModule("input", conv(1, width));
    this.output = this.addModule("output", conv(width, 1));
  }

  /** vdsr.py's forward: `upscaled` is the LR image already at HR size. */
  featuresOfUpscaled(upscaled: Tensor): StudentFeatures {
    const distilled = this.residualLayer.forward(relu(this.input.forward(upscaled)));
    return { distilled, hr: add(this.output.forward(distilled), upscaled) };
  }

  /** The last hidden layer's output alone, from the LR image. */
  distilled(lr: Tensor): Tensor {
    return this.residualLayer.forward(relu(this.input.forward(resizeBicubic(lr, this.config.scale))));
  }

  /** From the LR image: upscaled by `scale` (differentiable, so an encoder in front of VDSR gets its gradient). */
  features(lr: Tensor): VdsrFeatures {
    const upscaled = resizeBicubic(lr, this.config.scale);
    return { upscaled, ...this.featuresOfUpscaled(upscaled) };
  }

  forward(lr: Tensor): Tensor {
    return this.features(lr).hr;
  }
}
