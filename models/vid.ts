// The VID estimator (Ahn et al., 2019) on the student's `expanding` features: a mean branch and a scale
// branch (softplus, one scale per channel and pixel: the official 'None' homoscedasticity). Training only.

import type { Backend } from "../engine/backend.ts";
import { nn, type Rng, softplus, type Tensor } from "../engine/index.ts";

function adaptation(channels: number, rng: Rng, backend?: Backend): nn.Sequential {
  return nn.Sequential.fusingConvPrelu(
    new nn.Conv2d(channels, channels, 1, { rng, backend }),
    new nn.PReLU(1, 0.25, { backend }),
    new nn.Conv2d(channels, channels, 1, { rng, backend }),
  );
}

/** `vid_module_dict.{expanding_mean, expanding_var}` */
export class VidEstimator extends nn.ModuleDict {
  readonly mean: nn.Sequential;
  readonly scale: nn.Sequential;
  constructor(channels: number, rng: Rng, backend?: Backend) {
    super();
    this.mean = this.addModule("expanding_mean", adaptation(channels, rng, backend));
    this.scale = this.addModule("expanding_var", adaptation(channels, rng, backend));
  }
  /** μ and the softplus-activated scale for the given student features */
  estimate(features: Tensor): { mu: Tensor; scale: Tensor } {
    return { mu: this.mean.forward(features), scale: softplus(this.scale.forward(features)) };
  }
}
