// Shape arithmetic shared by both backends and the autograd layer. Tensors are contiguous, row-major,
// at most 4-D (NCHW); lower-rank shapes are padded with leading 1s when an op needs four dimensions.

export type Shape = readonly number[];
export type Shape4 = readonly [number, number, number, number];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function assertShape(shape: Shape, what = "shape"): void {
  if (shape.length > 4) throw new Error(`${what} [${shape}] has ${shape.length} dimensions; at most 4 (NCHW) are supported`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1) throw new Error(`${what} [${shape}] must hold positive integers`);
  }
}

export function to4d(shape: Shape): Shape4 {
  const s = [1, 1, 1, 1];
  for (let i = 0; i < shape.length; i++) s[4 - shape.length + i] = shape[i];
  return s as unknown as Shape4;
}

/** Numpy-style broadcasting (right-aligned); throws naming both shapes when they do not broadcast. */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`shapes [${a}] and [${b}] do not broadcast (dimension ${i}: ${da} vs ${db})`);
    out.push(Math.max(da, db));
  }
  return out;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Row-major strides of a 4-D shape, with 0 where a dimension of size 1 is broadcast against `out`. */
export function broadcastStrides(shape: Shape4, out: Shape4): Shape4 {
  const s = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1];
  return s.map((st, i) => (shape[i] === 1 && out[i] !== 1 ? 0 : st)) as unknown as Shape4;
}

/** Output extent of a convolution along one axis. */
export function convOutSize(input: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((input + 2 * pad - kernel) / stride) + 1;
}

/** Output shape [N, O, HO, WO] of x [N, C, H, W] convolved with w [O, C/g, KH, KW] at `stride` and `padding`. */
export function convOutShape(
  [N, , H, W]: Shape4, [O, , KH, KW]: Shape4, { stride, padding }: { stride: readonly [number, number]; padding: readonly [number, number] },
): Shape4 {
  return [N, O, convOutSize(H, KH, stride[0], padding[0]), convOutSize(W, KW, stride[1], padding[1])];
}

/** Output extent of a transposed convolution along one axis. */
export function convTransposeOutSize(input: number, kernel: number, stride: number, pad: number, outputPad: number): number {
  return (input - 1) * stride - 2 * pad + kernel + outputPad;
}
