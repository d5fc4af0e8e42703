// PReLU with one shared slope (nn.PReLU()) or one per channel (nn.PReLU(C)).

import { Tensor } from "../tensor.ts";
import { backendOf, shape4 } from "./common.ts";

/**
 * Checks a PReLU's slopes against the channels they act on (null: the input has no channel axis); returns whether
 * there is one slope per channel. `what` names those channels in the error.
 */
export function checkSlopes(op: string, slope: Tensor, channels: number | null, what: string): boolean {
  if (slope.rank !== 1) throw new Error(`${op}: slope must be 1-D, got [${slope.shape}]`);
  const perChannel = slope.size !== 1;
  if (perChannel && slope.size !== channels) throw new Error(`${op}: ${slope.size} slopes for ${what}; need 1 or one per channel`);
  return perChannel;
}

export function prelu(x: Tensor, slope: Tensor): Tensor {
  const perChannel = checkSlopes("prelu", slope, x.rank >= 2 ? x.shape[1]! : null, `input [${x.shape}] (channels: dimension 1)`);
  const be = backendOf("prelu", x, slope);
  // channels sit at dimension 1 whatever the rank; view the input as [N, C, rest, 1]
  const xs = x.rank >= 2 ? ([x.shape[0], x.shape[1], x.size / (x.shape[0] * x.shape[1]), 1] as const) : shape4(x);
  return Tensor.fromOp("prelu", be, be.prelu(x.storage, xs, slope.storage, perChannel), x.shape, [x, slope], (g) => {
    const r = be.preluBackward(x.storage, xs, slope.storage, perChannel, g.storage);
    const dx = Tensor.fromStorage(be, r.dx, x.shape);
    const ds = Tensor.fromStorage(be, r.dslope, slope.shape);
    return [x.requiresGrad ? dx : (dx.dispose(), null), slope.requiresGrad ? ds : (ds.dispose(), null)];
  });
}
