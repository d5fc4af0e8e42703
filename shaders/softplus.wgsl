// softplus and its derivative, the sigmoid, for the unary kernels (engine/unary-table.ts). Their CPU twins are in
// engine/cpu/softplus.ts.

// log(1 + e) for e in [0, 1], without log: log(1 + e) = 2·atanh(s) with s = e / (2 + e) in [0, 1/3], summed as
// its odd series (truncation below 1e-10 relative). log(1.0 + e) would round 1 + e first, returning 0 for
// e < 2^-24 and losing digits for every small e.
fn log1p_unit(e: f32) -> f32 {
  let s = e / (2.0 + e);
  let s2 = s * s;
  let q = 1.0 / 15.0 + s2 * (1.0 / 17.0 + s2 * (1.0 / 19.0));
  let r = 1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 * q)));
  return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * r)));
}

fn softplus(v: f32) -> f32 {
  // max(v, 0) + log1p(e^-|v|): never overflows, and stays accurate for very negative v
  return max(v, 0.0) + log1p_unit(exp(-abs(v)));
}

fn sigmoid(v: f32) -> f32 {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}
