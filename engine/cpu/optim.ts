// Optimizer updates in place, following torch.optim's single-tensor ("for-loop") implementations.

import type { AdamHyper, FloatArray, SgdHyper } from "../backend.ts";

export function adam(p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, h: AdamHyper): void {
  const bc1 = 1 - Math.pow(h.beta1, h.step), bc2 = 1 - Math.pow(h.beta2, h.step);
  const stepSize = h.lr / bc1, sqrtBc2 = Math.sqrt(bc2);
  for (let i = 0; i < p.length; i++) {
    const gi = h.weightDecay ? g[i] + h.weightDecay * p[i] : g[i];
    m[i] = h.beta1 * m[i] + (1 - h.beta1) * gi;
    v[i] = h.beta2 * v[i] + (1 - h.beta2) * gi * gi;
    // eps sits outside the square root, after bias correction: PyTorch's denom = sqrt(v)/sqrt(bc2) + eps.
    p[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtBc2 + h.eps);
  }
}

export function sgd(p: FloatArray, g: FloatArray, buf: FloatArray, h: SgdHyper): void {
  for (let i = 0; i < p.length; i++) {
    let d = h.weightDecay ? g[i] + h.weightDecay * p[i] : g[i];
    if (h.momentum !== 0) {
      buf[i] = h.first ? d : h.momentum * buf[i] + (1 - h.dampening) * d;
      d = h.nesterov ? d + h.momentum * buf[i] : buf[i];
    }
    p[i] -= h.lr * d;
  }
}
