// The matrices of MATLAB's bicubic imresize along one axis, for resizeBicubic. The weights are those of
// image/resize.ts's `contributions`, the code imresize runs (checked there against MATLAB's numbers), so the op
// reproduces imresize. Memoised per axis geometry: a model resizes the same sizes at every step, and a backend
// keeps what it uploaded under the matrix's key. The memo grows by a few kilobytes per distinct geometry.

import { contributions, nonzeroTaps } from "../image/resize.ts";
import type { SparseRows } from "./backend.ts";

/** One axis of a resize: the matrix [out × in], and its transpose [in × out], which carries the gradient back. */
export interface AxisResampling {
  forward: SparseRows;
  transposed: SparseRows;
}

const memo = new Map<string, AxisResampling>();

/** MATLAB `contributions(inLength, outLength, scale, @cubic, 4, antialiasing)` as a sparse matrix and its transpose. */
export function bicubicAxis(inLength: number, outLength: number, scale: number, antialiasing: boolean): AxisResampling {
  const key = `bicubic ${inLength}→${outLength} ×${scale}${antialiasing ? "" : " no-aa"}`;
  let m = memo.get(key);
  if (!m) {
    const forward = fromContributions(key, inLength, outLength, scale, antialiasing);
    m = { forward, transposed: transpose(forward) };
    memo.set(key, m);
  }
  return m;
}

/** The taps of weight 0 are left out (image/resize.ts's `nonzeroTaps`), as imresize's passes leave them out. */
function fromContributions(key: string, inLength: number, outLength: number, scale: number, antialiasing: boolean): SparseRows {
  const { offsets, indices, weights } = nonzeroTaps(contributions(inLength, outLength, scale, antialiasing));
  return { key, rows: outLength, cols: inLength, offsets, indices, weights };
}

/**
 * The transpose, row by row in the order of the original's rows: a gradient kernel then writes each input
 * element once, gathering from the outputs it fed, instead of scattering into shared sums.
 */
function transpose(m: SparseRows): SparseRows {
  const offsets = new Int32Array(m.cols + 1);
  for (const c of m.indices) offsets[c + 1]++;
  for (let c = 0; c < m.cols; c++) offsets[c + 1] += offsets[c];
  const next = offsets.slice(0, m.cols);
  const indices = new Int32Array(m.indices.length), weights = new Float64Array(m.indices.length);
  for (let r = 0; r < m.rows; r++) {
    for (let e = m.offsets[r]; e < m.offsets[r + 1]; e++) {
      const at = next[m.indices[e]]++;
      indices[at] = r;
      weights[at] = m.weights[e];
    }
  }
  return { key: `${m.key} transposed`, rows: m.cols, cols: m.rows, offsets, indices, weights };
}
