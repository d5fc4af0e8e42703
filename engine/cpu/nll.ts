// Reference of the VID loss's per-element negative log-likelihood and its gradient (see Backend.nll).

import type { FloatArray, NllKind } from "../backend.ts";

type Alloc = (n: number) => FloatArray;

export function nll(kind: NllKind, mu: FloatArray, scale: FloatArray, target: FloatArray, a: number, eps: number, alloc: Alloc): FloatArray {
  const out = alloc(mu.length);
  for (let i = 0; i < mu.length; i++) {
    const s = a * scale[i]! + eps, d = mu[i]! - target[i]!;
    out[i] = kind === "laplace" ? Math.log(2 * s) + Math.abs(d) / s : 0.5 * Math.log(s) + (d * d) / (2 * s);
  }
  return out;
}

export function nllBackward(
  kind: NllKind, mu: FloatArray, scale: FloatArray, target: FloatArray, a: number, eps: number, g: FloatArray, factor: number, alloc: Alloc,
): { dmu: FloatArray; dscale: FloatArray } {
  const n = mu.length, k = g[0]! * factor;
  const dmu = alloc(n), dscale = alloc(n);
  for (let i = 0; i < n; i++) {
    const s = a * scale[i]! + eps, d = mu[i]! - target[i]!;
    if (kind === "laplace") {
      dmu[i] = (k * Math.sign(d)) / s;
      dscale[i] = k * a * (1 / s - Math.abs(d) / (s * s));
    } else {
      dmu[i] = (k * d) / s;
      dscale[i] = k * a * (0.5 / s - (d * d) / (2 * s * s));
    }
  }
  return { dmu, dscale };
}
