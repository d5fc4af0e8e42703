// Separable resampling of NCHW planes by sparse matrices along the height and the width (bicubic resizing and
// its gradient). Sums and the intermediate are float64 whatever the storage, as in image/resize.ts's imresize,
// so a float32 result equals imresize's bit for bit.

import type { FloatArray, SparseRows } from "../backend.ts";
import type { Shape4 } from "../shape.ts";

/** src [outer, m.cols, inner] → out [outer, m.rows, inner]: m applied along the middle axis. */
function along(m: SparseRows, src: ArrayLike<number>, out: FloatArray, outer: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < m.rows; r++) {
      for (let q = 0; q < inner; q++) {
        let acc = 0;
        for (let e = m.offsets[r]; e < m.offsets[r + 1]; e++) acc += m.weights[e] * src[(o * m.cols + m.indices[e]) * inner + q];
        out[(o * m.rows + r) * inner + q] = acc;
      }
    }
  }
}

/** x [N, C, H, W] → [N, C, height.rows, width.rows] */
export function resample2d(
  x: FloatArray, [N, C, H, W]: Shape4, height: SparseRows, width: SparseRows, heightFirst: boolean, alloc: (n: number) => FloatArray,
): FloatArray {
  const planes = N * C;
  const y = alloc(planes * height.rows * width.rows);
  if (heightFirst) {
    const mid = new Float64Array(planes * height.rows * W);
    along(height, x, mid, planes, W);
    along(width, mid, y, planes * height.rows, 1);
  } else {
    const mid = new Float64Array(planes * H * width.rows);
    along(width, x, mid, planes * H, 1);
    along(height, mid, y, planes, width.rows);
  }
  return y;
}
