// The VID estimator (Ahn et al., 2019) on the student's distilled features: a mean branch and a scale branch
// (softplus, one scale per channel and pixel: the official 'None' homoscedasticity). Training only.
// Each branch maps the student's channels onto the teacher's (1×1 conv, PReLU, 1×1 conv), so the two may differ.

import type { Backend } from "../engine/backend.ts";
import { nn, type Rng, softplus, type Tensor } from "../engine/index.ts";

function adaptation(cin: number, cout: number, rng: Rng, backend?: Backend): nn.Sequential {
  return nn.Sequential.fusingConvPrelu(
    new nn.Conv2d(cin, cout, 1, { rng, backend }),
    new nn.PReLU(1, 0.25, { backend }),
    new nn.Conv2d(cout, cout, 1, { rng, backend }),
  );
}

/** `vid_module_dict.{<layer>_mean, <layer>_var}` (FSRCNN: `expanding_mean`, `expanding_var`, as official). */
export class VidEstimator extends nn.ModuleDict {
  readonly mean: nn.Sequential;
  readonly scale: nn.Sequential;
  constructor(studentChannels: number, teacherChannels: number, rng: Rng, backend?: Backend, layer = "expanding") {
    super();
    this.mean = this.addModule(`${layer}_mean`, adaptation(studentChannels, teacherChannels, rng, backend));
    this.scale = this.addModule(`${layer}_var`, adaptation(studentChannels, teacherChannels, rng, backend));
  }
  /** μ and the softplus-activated scale for the given student features */
  estimate(features: Tensor): { mu: Tensor; scale: Tensor } {
    return { mu: this.mean.forward(features), scale: softplus(this.scale.forward(features)) };
  }
}
