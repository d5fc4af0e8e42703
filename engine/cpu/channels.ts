// Concatenation and slicing along channels (dimension 1 of [N, C, H, W]): per batch item, a block of channels is
// one contiguous run of C·H·W elements, so both are runs copied with typed-array set.

import type { FloatArray } from "../backend.ts";
import type { Shape4 } from "../shape.ts";

type Alloc = (n: number) => FloatArray;

/** xs[k] [N, C_k, H, W] → [N, ΣC_k, H, W] */
export function concatChannels(xs: readonly FloatArray[], shapes: readonly Shape4[], alloc: Alloc): FloatArray {
  const [N, , H, W] = shapes[0]!;
  const plane = H * W, total = shapes.reduce((c, s) => c + s[1], 0);
  const y = alloc(N * total * plane);
  let start = 0;
  xs.forEach((x, k) => {
    const run = shapes[k]![1] * plane;
    for (let n = 0; n < N; n++) y.set(x.subarray(n * run, (n + 1) * run), (n * total + start) * plane);
    start += shapes[k]![1];
  });
  return y;
}

/** channels start … start + length − 1 of x [N, C, H, W] → [N, length, H, W] */
export function sliceChannels(x: FloatArray, [N, C, H, W]: Shape4, start: number, length: number, alloc: Alloc): FloatArray {
  const plane = H * W, run = length * plane;
  const y = alloc(N * run);
  for (let n = 0; n < N; n++) {
    const from = (n * C + start) * plane;
    y.set(x.subarray(from, from + run), n * run);
  }
  return y;
}
