// Transposed convolution in gather form over output phases, register-tiled (OT output channels × XT outputs;
// compile-time constants the host prepends, with TAPS = ⌈KW / sw⌉). Output column ox receives x[·,ix]·w[·,kx] for ix·sw + kx = ox + pw,
// so outputs sharing the residue r = (ox + pw) mod sw use the same taps kx = r, r + sw, … and consecutive
// inputs: an invocation takes XT such outputs (ox = q·sw + r − pw for q = q0 … q0+XT−1).
// No atomics, no zero-stuffing, no wasted taps.
struct Params {
  total: u32, C: u32, H: u32, W: u32, O: u32, KH: u32, KW: u32, HO: u32, WO: u32,
  sh: u32, sw: u32, ph: u32, pw: u32, has_bias: u32,
  o_blocks: u32, q_blocks: u32,
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
  let qb = i % p.q_blocks;
  let r = (i / p.q_blocks) % p.sw;
  let oy = (i / (p.q_blocks * p.sw)) % p.HO;
  let ob = (i / (p.q_blocks * p.sw * p.HO)) % p.o_blocks;
  let n = i / (p.q_blocks * p.sw * p.HO * p.o_blocks);
  let o0 = ob * OT;
  let q0 = qb * XT;
  let kk = p.KH * p.KW;

  var oc: array<u32, OT>;
  var acc: array<array<f32, OT>, XT>;
  for (var j = 0u; j < OT; j++) {
    oc[j] = min(o0 + j, p.O - 1u);
    let b = select(0.0, bias[oc[j]], p.has_bias != 0u);
    for (var t = 0u; t < XT; t++) { acc[t][j] = b; }
  }

  let ty = oy + p.ph; // = iy·sh + ky
  let W = i32(p.W);
  for (var c = 0u; c < p.C; c++) {
    let plane = (n * p.C + c) * p.H;
    for (var ky = ty % p.sh; ky < p.KH && ky <= ty; ky += p.sh) {
      let iy = (ty - ky) / p.sh;
      if (iy >= p.H) { continue; }
      let row = i32((plane + iy) * p.W);
      // the XT outputs and their TAPS column taps read inputs q0 − (TAPS − 1) … q0 + XT − 1: load them once
      var xw: array<f32, XT + TAPS - 1u>;
      for (var m = 0u; m < XT + TAPS - 1u; m++) {
        let ix = i32(q0 + m) - i32(TAPS - 1u);
        xw[m] = select(0.0, x[row + clamp(ix, 0, W - 1)], ix >= 0 && ix < W);
      }
      for (var jx = 0u; jx < TAPS; jx++) {
        let kx = r + jx * p.sw;
        if (kx >= p.KW) { break; }
        var wv: array<f32, OT>;
        for (var j = 0u; j < OT; j++) { wv[j] = w[((c * p.O + oc[j]) * p.KH + ky) * p.KW + kx]; }
        for (var t = 0u; t < XT; t++) {
          let xv = xw[t + TAPS - 1u - jx]; // input column q0 + t − jx
          for (var j = 0u; j < OT; j++) { acc[t][j] += xv * wv[j]; }
        }
      }
    }
  }
  for (var t = 0u; t < XT; t++) {
    let tx = (q0 + t) * p.sw + r; // = ox + pw
    if (tx < p.pw || tx - p.pw >= p.WO) { continue; }
    let ox = tx - p.pw;
    for (var j = 0u; j < OT; j++) {
      let o = o0 + j;
      if (o >= p.O) { break; }
      y[((n * p.O + o) * p.HO + oy) * p.WO + ox] = acc[t][j];
    }
  }
}
