// PReLU: y = x for x > 0, a·x otherwise; `a` is one shared slope or one per channel.

import type { FloatArray } from "../backend.ts";
import type { Shape4 } from "../shape.ts";

export function prelu(x: FloatArray, [N, C, H, W]: Shape4, slope: FloatArray, perChannel: boolean, alloc: (n: number) => FloatArray): FloatArray {
  const y = alloc(x.length);
  const plane = H * W;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const a = slope[perChannel ? c : 0];
      for (let i = (n * C + c) * plane, end = i + plane; i < end; i++) y[i] = x[i] > 0 ? x[i] : a * x[i];
    }
  return y;
}

export function preluBackward(
  x: FloatArray, [N, C, H, W]: Shape4, slope: FloatArray, perChannel: boolean, dy: FloatArray, alloc: (n: number) => FloatArray,
): { dx: FloatArray; dslope: FloatArray } {
  const dx = alloc(x.length);
  const ds = new Float64Array(perChannel ? C : 1);
  const plane = H * W;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const k = perChannel ? c : 0, a = slope[k];
      for (let i = (n * C + c) * plane, end = i + plane; i < end; i++) {
        if (x[i] > 0) dx[i] = dy[i];
        else {
          dx[i] = a * dy[i];
          ds[k] += x[i] * dy[i];
        }
      }
    }
  const dslope = alloc(ds.length);
  dslope.set(ds);
  return { dx, dslope };
}
