// The mean negative log-likelihood behind the VID loss, fused: one kernel for the per-element terms (then the
// mean), one for both gradients — instead of the eight elementwise ops and their eight backward kernels
// that the same formula costs when composed (each a full pass over the features: bench/NOTES.md, entry 21).

import type { NllKind } from "../backend.ts";
import { sameShape } from "../shape.ts";
import { Tensor } from "../tensor.ts";
import { backendOf } from "./common.ts";

export interface NllOptions {
  /** the spread is s = a·scale + eps */
  a: number;
  eps: number;
}

/**
 * mean over every element of the NLL of `target` under Laplace(mu, s) — ln(2s) + |mu − t|/s — or Gaussian
 * (mu, variance s) — ½·ln s + (mu − t)²/(2s) —, with s = a·scale + eps, constants left out.
 */
export function nllLoss(kind: NllKind, mu: Tensor, scale: Tensor, target: Tensor, { a, eps }: NllOptions): Tensor {
  if (kind !== "laplace" && kind !== "gaussian") throw new Error(`nllLoss: unknown distribution "${kind}": use laplace or gaussian`);
  for (const [name, t] of [["scale", scale], ["target", target]] as const) {
    if (!sameShape(mu.shape, t.shape)) throw new Error(`nllLoss: mu [${mu.shape}] and ${name} [${t.shape}] differ in shape`);
  }
  const be = backendOf("nllLoss", mu, scale, target);
  const n = mu.size;
  const terms = be.nll(kind, mu.storage, scale.storage, target.storage, a, eps);
  const m = be.sum(terms, [n, 1, 1, 1], [true, true, true, true], 1 / n);
  be.release(terms);
  return Tensor.fromOp(`nllLoss(${kind})`, be, m, [], [mu, scale, target], (g) => {
    const { dmu, dscale } = be.nllBackward(kind, mu.storage, scale.storage, target.storage, a, eps, g.storage, 1 / n);
    // ∂/∂target = −∂/∂mu (mu − target appears in every term)
    const dt = target.requiresGrad ? Tensor.fromStorage(be, be.unary("neg", dmu), target.shape) : null;
    const dm = Tensor.fromStorage(be, dmu, mu.shape), ds = Tensor.fromStorage(be, dscale, scale.shape);
    return [mu.requiresGrad ? dm : (dm.dispose(), null), scale.requiresGrad ? ds : (ds.dispose(), null), dt];
  });
}
