// What a PISR student other than FSRCNN exposes to distillation: the feature map the distillation loss reads
// (for FSRCNN that is `expanding`, see fsrcnn.ts) and the output. Which layer `distilled` is, is each model's own
// choice, documented there and named by `distilledLayer` (its reference parameter prefix).

import type { Tensor } from "../engine/index.ts";

export interface StudentFeatures {
  /** the features PISR's VID estimator would be fitted on */
  distilled: Tensor;
  hr: Tensor;
}
