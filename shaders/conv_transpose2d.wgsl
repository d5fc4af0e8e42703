// Transposed convolution in gather form, one thread per output element: output (oy, ox) receives
// x[n,c,iy,ix] · w[c,o,ky,kx] for every iy·sh − ph + ky = oy (and likewise for x), so only the
// kernel taps congruent to oy + ph modulo the stride contribute. No atomics, no zero-stuffing.
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
  let ty = oy + p.ph; // = iy·sh + ky
  let tx = ox + p.pw;
  for (var c = 0u; c < p.C; c++) {
    let xPlane = (n * p.C + c) * p.H * p.W;
    let wBase = (c * p.O + o) * p.KH * p.KW;
    for (var ky = ty % p.sh; ky < p.KH && ky <= ty; ky += p.sh) {
      let iy = (ty - ky) / p.sh;
      if (iy >= p.H) { continue; }
      for (var kx = tx % p.sw; kx < p.KW && kx <= tx; kx += p.sw) {
        let ix = (tx - kx) / p.sw;
        if (ix >= p.W) { continue; }
        acc += x[xPlane + iy * p.W + ix] * w[wBase + ky * p.KW + kx];
      }
    }
  }
  y[i] = acc;
}
