// softplus and its derivative, the sigmoid, on the CPU reference backend (engine/unary-table.ts). Their WGSL
// twins are in shaders/softplus.wgsl.

/** log(1 + eˣ) without overflow for large x or loss of precision for very negative x. */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** 1 / (1 + e⁻ˣ), with e raised only to non-positive powers so it never overflows. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
