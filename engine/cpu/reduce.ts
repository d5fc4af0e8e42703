// Sum over any subset of the four axes, accumulated in float64.

import type { FloatArray } from "../backend.ts";
import type { Shape4 } from "../shape.ts";
import { sizeOf } from "../shape.ts";

export function sum(x: FloatArray, shape: Shape4, axes: readonly boolean[], scale: number, alloc: (n: number) => FloatArray): FloatArray {
  const out = shape.map((d, i) => (axes[i] ? 1 : d));
  const acc = new Float64Array(sizeOf(out));
  const os = [out[1] * out[2] * out[3], out[2] * out[3], out[3], 1].map((s, i) => (axes[i] ? 0 : s));
  let i = 0;
  for (let n = 0; n < shape[0]; n++)
    for (let c = 0; c < shape[1]; c++)
      for (let h = 0; h < shape[2]; h++) {
        const base = n * os[0] + c * os[1] + h * os[2];
        for (let w = 0; w < shape[3]; w++) acc[base + w * os[3]] += x[i++];
      }
  const y = alloc(acc.length);
  for (let j = 0; j < acc.length; j++) y[j] = acc[j] * scale;
  return y;
}
