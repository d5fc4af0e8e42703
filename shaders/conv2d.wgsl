// Direct convolution, register-tiled: each invocation computes 4 output channels × 4 neighbouring output
// columns (16 accumulators), so every input value it loads feeds 4 multiply-adds and every weight 4.
//   y[n,o,oy,ox] = bias[o] + Σ_{c,ky,kx} x[n,c,oy·sh−ph+ky, ox·sw−pw+kx] · w[o,c,ky,kx]
struct Params {
  total: u32, C: u32, H: u32, W: u32, O: u32, KH: u32, KW: u32, HO: u32, WO: u32,
  sh: u32, sw: u32, ph: u32, pw: u32, has_bias: u32,
  o_blocks: u32, x_blocks: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = flat_id(wg, groups, li, 64u);
  if (i >= p.total) { return; }
  let xb = i % p.x_blocks;
  let oy = (i / p.x_blocks) % p.HO;
  let ob = (i / (p.x_blocks * p.HO)) % p.o_blocks;
  let n = i / (p.x_blocks * p.HO * p.o_blocks);
  let o0 = ob * 4u;
  let ox0 = xb * 4u;
  // channels past O read channel O−1 (in bounds) and are never written
  let last = p.O - 1u;
  let kk = p.KH * p.KW;
  let wo = vec4u(min(o0, last), min(o0 + 1u, last), min(o0 + 2u, last), min(o0 + 3u, last)) * p.C * kk;

  var b = vec4f(0.0);
  if (p.has_bias != 0u) { b = vec4f(bias[wo.x / (p.C * kk)], bias[wo.y / (p.C * kk)], bias[wo.z / (p.C * kk)], bias[wo.w / (p.C * kk)]); }
  var acc0 = b; var acc1 = b; var acc2 = b; var acc3 = b;

  let ix0 = i32(ox0 * p.sw) - i32(p.pw);
  let step = i32(p.sw);
  for (var c = 0u; c < p.C; c++) {
    let plane = (n * p.C + c) * p.H;
    for (var ky = 0u; ky < p.KH; ky++) {
      let iy = i32(oy * p.sh + ky) - i32(p.ph);
      if (iy < 0 || iy >= i32(p.H)) { continue; }
      let row = i32((plane + u32(iy)) * p.W);
      let wk = c * kk + ky * p.KW;
      for (var kx = 0u; kx < p.KW; kx++) {
        let wv = vec4f(w[wo.x + wk + kx], w[wo.y + wk + kx], w[wo.z + wk + kx], w[wo.w + wk + kx]);
        let ix = ix0 + i32(kx);
        let W = i32(p.W);
        if (ix >= 0 && ix < W) { acc0 += x[row + ix] * wv; }
        if (ix + step >= 0 && ix + step < W) { acc1 += x[row + ix + step] * wv; }
        if (ix + 2 * step >= 0 && ix + 2 * step < W) { acc2 += x[row + ix + 2 * step] * wv; }
        if (ix + 3 * step >= 0 && ix + 3 * step < W) { acc3 += x[row + ix + 3 * step] * wv; }
      }
    }
  }
  let accs = array<vec4f, 4>(acc0, acc1, acc2, acc3);
  for (var j = 0u; j < 4u; j++) {
    let o = o0 + j;
    if (o >= p.O) { break; }
    let base = ((n * p.O + o) * p.HO + oy) * p.WO;
    for (var t = 0u; t < 4u; t++) {
      if (ox0 + t < p.WO) { y[base + ox0 + t] = accs[t][j]; }
    }
  }
}
