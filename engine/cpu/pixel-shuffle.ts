// Pixel shuffle in PyTorch's channel order, and its inverse: element [n, c·r² + i·r + j, h, w] of the
// [N, C·r², H, W] layout is element [n, c, h·r + i, w·r + j] of the [N, C, H·r, W·r] one. Both directions are the
// same walk over the pairs; only which side is read differs.

import type { FloatArray } from "../backend.ts";
import type { Shape4 } from "../shape.ts";

/** Calls move(u, s) for every element: u its index in the [N, C·r², H, W] layout, s in the [N, C, H·r, W·r] one. */
function forEachPair([N, C, H, W]: readonly number[], r: number, move: (u: number, s: number) => void): void {
  const Wr = W * r;
  let u = 0;
  for (let nc = 0; nc < N * C; nc++)
    for (let i = 0; i < r; i++)
      for (let j = 0; j < r; j++)
        for (let h = 0; h < H; h++) {
          const row = (nc * H + h) * r + i;
          for (let w = 0; w < W; w++) move(u++, row * Wr + w * r + j);
        }
}

/** x [N, C·r², H, W] → [N, C, H·r, W·r] */
export function pixelShuffle(x: FloatArray, [N, Cr2, H, W]: Shape4, r: number, alloc: (n: number) => FloatArray): FloatArray {
  const y = alloc(x.length);
  forEachPair([N, Cr2 / (r * r), H, W], r, (u, s) => (y[s] = x[u]));
  return y;
}

/** x [N, C, H·r, W·r] → [N, C·r², H, W] */
export function pixelUnshuffle(x: FloatArray, [N, C, Hr, Wr]: Shape4, r: number, alloc: (n: number) => FloatArray): FloatArray {
  const y = alloc(x.length);
  forEachPair([N, C, Hr / r, Wr / r], r, (u, s) => (y[u] = x[s]));
  return y;
}
