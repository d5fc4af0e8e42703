// Direct convolution, register-tiled: each invocation computes OT output channels × XT neighbouring output
// columns, so every input value it loads feeds OT multiply-adds and every weight XT. OT and XT are
// compile-time constants the host prepends (engine/webgpu/kernels/conv.ts picks them per layer shape).
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
  let o0 = ob * OT;
  let ox0 = xb * XT;
  let kk = p.KH * p.KW;

  // channels past O read channel O−1 (in bounds) and are never written
  var wo: array<u32, OT>;
  var acc: array<array<f32, OT>, XT>;
  for (var j = 0u; j < OT; j++) {
    let o = min(o0 + j, p.O - 1u);
    wo[j] = o * p.C * kk;
    let b = select(0.0, bias[o], p.has_bias != 0u);
    for (var t = 0u; t < XT; t++) { acc[t][j] = b; }
  }

  let ix0 = i32(ox0 * p.sw) - i32(p.pw);
  let step = i32(p.sw);
  let W = i32(p.W);
  for (var c = 0u; c < p.C; c++) {
    let plane = (n * p.C + c) * p.H;
    for (var ky = 0u; ky < p.KH; ky++) {
      let iy = i32(oy * p.sh + ky) - i32(p.ph);
      if (iy < 0 || iy >= i32(p.H)) { continue; }
      let row = i32((plane + u32(iy)) * p.W);
      let wk = c * kk + ky * p.KW;
      for (var kx = 0u; kx < p.KW; kx++) {
        var wv: array<f32, OT>;
        for (var j = 0u; j < OT; j++) { wv[j] = w[wo[j] + wk + kx]; }
        for (var t = 0u; t < XT; t++) {
          let ix = ix0 + i32(t) * step + i32(kx);
          if (ix >= 0 && ix < W) {
            let xv = x[row + ix];
            for (var j = 0u; j < OT; j++) { acc[t][j] += xv * wv[j]; }
          }
        }
      }
    }
  }
  for (var j = 0u; j < OT; j++) {
    let o = o0 + j;
    if (o >= p.O) { break; }
    let base = ((n * p.O + o) * p.HO + oy) * p.WO;
    for (var t = 0u; t < XT; t++) {
      if (ox0 + t < p.WO) { y[base + ox0 + t] = acc[t][j]; }
    }
  }
}
