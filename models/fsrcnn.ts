// FSRCNN (Dong et al., 2016) laid out as PISR's official code does, so that parameter names match its
// PyTorch state dict: network.{feature_extraction.0, shrinking.0, mapping.0..m-1, expanding.0, last_layer.0}.

import type { Backend } from "../engine/backend.ts";
import { nn, Rng, type Tensor } from "../engine/index.ts";

export interface FsrcnnConfig {
  scale: number;
  /** image channels (1 = the Y channel) */
  channels?: number;
  /** feature width d, shrunk width s, mapping depth m */
  d?: number;
  s?: number;
  m?: number;
}

export interface BuildOptions {
  seed?: number;
  rng?: Rng;
  backend?: Backend;
}

export function resolveConfig(c: FsrcnnConfig): Required<FsrcnnConfig> {
  if (![2, 3, 4].includes(c.scale)) throw new Error(`scale must be 2, 3 or 4, got ${c.scale}`);
  return { scale: c.scale, channels: c.channels ?? 1, d: c.d ?? 56, s: c.s ?? 12, m: c.m ?? 4 };
}

export function rngOf(o: BuildOptions): Rng {
  return o.rng ?? new Rng(o.seed ?? 0);
}

/** conv (same padding) + PReLU with one shared slope initialised to 0.25: nn.Sequential(nn.Conv2d(…), nn.PReLU()). */
export function convPrelu(cin: number, cout: number, k: number, rng: Rng, backend?: Backend, stride = 1): nn.Sequential {
  return nn.Sequential.fusingConvPrelu(
    new nn.Conv2d(cin, cout, k, { padding: Math.floor(k / 2), stride, rng, backend }),
    new nn.PReLU(1, 0.25, { backend }),
  );
}

/** What a forward pass exposes to the losses. */
export interface Features {
  /** the teacher encoder's LR-sized output (teacher only) */
  encoder?: Tensor;
  /** the 56-channel `expanding` features, the layer PISR distils */
  expanding: Tensor;
  /** the features distillation reads: `expanding` (the name every architecture shares, models/registry.ts) */
  distilled: Tensor;
  hr: Tensor;
}

/** `backbone.network`: an optional encoder (the teacher's) followed by the FSRCNN decoder. */
export class FsrcnnNetwork extends nn.Module {
  readonly encoder: nn.Module | null;
  readonly featureExtraction: nn.Sequential;
  readonly shrinking: nn.Sequential;
  readonly mapping: nn.Sequential;
  readonly expanding: nn.Sequential;
  readonly lastLayer: nn.Sequential;

  constructor(readonly config: Required<FsrcnnConfig>, rng: Rng, backend?: Backend, encoder: nn.Module | null = null) {
    super();
    const { d, s, m, scale, channels } = config;
    this.encoder = encoder && this.addModule("encoder", encoder);
    this.featureExtraction = this.addModule("feature_extraction", new nn.Sequential(convPrelu(channels, d, 5, rng, backend)));
    this.shrinking = this.addModule("shrinking", new nn.Sequential(convPrelu(d, s, 1, rng, backend)));
    this.mapping = this.addModule("mapping", new nn.Sequential(...Array.from({ length: m }, () => convPrelu(s, s, 3, rng, backend))));
    this.expanding = this.addModule("expanding", new nn.Sequential(convPrelu(s, d, 1, rng, backend)));
    // 9×9 transposed conv, stride = scale, padding 4, output padding scale − 1: exactly scale·H × scale·W
    const deconv = new nn.ConvTranspose2d(d, channels, 9, { stride: scale, padding: 4, outputPadding: scale - 1, rng, backend });
    this.lastLayer = this.addModule("last_layer", new nn.Sequential(new nn.Sequential(deconv)));
  }

  features(x: Tensor): Features {
    const encoder = this.encoder?.forward(x);
    const expanding = this.expandingOf(encoder ?? x);
    return { encoder, expanding, distilled: expanding, hr: this.lastLayer.forward(expanding) };
  }

  /** `expanding` alone (through the encoder, if any), without the transposed conv to HR. */
  distilled(x: Tensor): Tensor {
    return this.expandingOf(this.encoder?.forward(x) ?? x);
  }

  private expandingOf(lrSized: Tensor): Tensor {
    return this.expanding.forward(this.mapping.forward(this.shrinking.forward(this.featureExtraction.forward(lrSized))));
  }

  forward(x: Tensor): Tensor {
    return this.features(x).hr;
  }
}
