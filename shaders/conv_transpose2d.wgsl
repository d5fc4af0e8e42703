// Transposed convolution in gather form over output phases, register-tiled (4 output channels × 4 outputs).
// Output column ox receives x[·,ix]·w[·,kx] for ix·sw + kx = ox + pw, so outputs sharing the residue
// r = (ox + pw) mod sw use the same taps kx = r, r + sw, … and consecutive inputs: an invocation takes 4
// such outputs (ox = q·sw + r − pw for q = q0…q0+3). No atomics, no zero-stuffing, no wasted taps.
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
  let o0 = ob * 4u;
  let q0 = qb * 4u;
  let last = p.O - 1u;
  let kk = p.KH * p.KW;
  let oc = vec4u(min(o0, last), min(o0 + 1u, last), min(o0 + 2u, last), min(o0 + 3u, last));

  var b = vec4f(0.0);
  if (p.has_bias != 0u) { b = vec4f(bias[oc.x], bias[oc.y], bias[oc.z], bias[oc.w]); }
  var acc0 = b; var acc1 = b; var acc2 = b; var acc3 = b;

  let ty = oy + p.ph; // = iy·sh + ky
  let W = i32(p.W);
  for (var c = 0u; c < p.C; c++) {
    let plane = (n * p.C + c) * p.H;
    let wc = (c * p.O + oc) * kk;
    for (var ky = ty % p.sh; ky < p.KH && ky <= ty; ky += p.sh) {
      let iy = (ty - ky) / p.sh;
      if (iy >= p.H) { continue; }
      let row = i32((plane + iy) * p.W);
      var j = 0;
      for (var kx = r; kx < p.KW; kx += p.sw) {
        let wv = vec4f(w[wc.x + ky * p.KW + kx], w[wc.y + ky * p.KW + kx], w[wc.z + ky * p.KW + kx], w[wc.w + ky * p.KW + kx]);
        let ix = i32(q0) - j;
        if (ix >= 0 && ix < W) { acc0 += x[row + ix] * wv; }
        if (ix + 1 >= 0 && ix + 1 < W) { acc1 += x[row + ix + 1] * wv; }
        if (ix + 2 >= 0 && ix + 2 < W) { acc2 += x[row + ix + 2] * wv; }
        if (ix + 3 >= 0 && ix + 3 < W) { acc3 += x[row + ix + 3] * wv; }
        j++;
      }
    }
  }
  let accs = array<vec4f, 4>(acc0, acc1, acc2, acc3);
  for (var t = 0u; t < 4u; t++) {
    let tx = (q0 + t) * p.sw + r; // = ox + pw
    if (tx < p.pw || tx - p.pw >= p.WO) { continue; }
    let ox = tx - p.pw;
    for (var jj = 0u; jj < 4u; jj++) {
      let o = o0 + jj;
      if (o >= p.O) { break; }
      y[((n * p.O + o) * p.HO + oy) * p.WO + ox] = accs[t][jj];
    }
  }
}
