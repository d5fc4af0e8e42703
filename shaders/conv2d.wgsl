// Direct convolution, one thread per output element: y[n,o,oy,ox] = bias[o] + Σ x[n,c,oy·sh−ph+ky, ox·sw−pw+kx] · w[o,c,ky,kx].
struct Params {
  total: u32, C: u32, H: u32, W: u32, O: u32, KH: u32, KW: u32, HO: u32, WO: u32,
  sh: u32, sw: u32, ph: u32, pw: u32, has_bias: u32,
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
  let ox = i % p.WO;
  let oy = (i / p.WO) % p.HO;
  let o = (i / (p.WO * p.HO)) % p.O;
  let n = i / (p.WO * p.HO * p.O);
  var acc = select(0.0, bias[o], p.has_bias != 0u);
  for (var c = 0u; c < p.C; c++) {
    let xPlane = (n * p.C + c) * p.H * p.W;
    let wBase = (o * p.C + c) * p.KH * p.KW;
    for (var ky = 0u; ky < p.KH; ky++) {
      let iy = i32(oy * p.sh + ky) - i32(p.ph);
      if (iy < 0 || iy >= i32(p.H)) { continue; }
      for (var kx = 0u; kx < p.KW; kx++) {
        let ix = i32(ox * p.sw + kx) - i32(p.pw);
        if (ix < 0 || ix >= i32(p.W)) { continue; }
        acc += x[xPlane + u32(iy) * p.W + u32(ix)] * w[wBase + ky * p.KW + kx];
      }
    }
  }
  y[i] = acc;
}
