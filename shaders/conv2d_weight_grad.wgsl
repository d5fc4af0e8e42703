// ∂L/∂w[o,c,ky,kx] = Σ_{n,oy,ox} dy[n,o,oy,ox] · x[n,c,oy·sh−ph+ky, ox·sw−pw+kx].
// One workgroup per tap (ky,kx) and 4×4 block of (output, input) channels: 64 threads share the output
// rows (n, oy) and walk each along ox, loading 4 dy and 4 x values for 16 multiply-adds; then a tree
// reduction in workgroup memory (no atomics).
struct Params {
  N: u32, C: u32, H: u32, W: u32, O: u32, KH: u32, KW: u32, HO: u32, WO: u32,
  sh: u32, sw: u32, ph: u32, pw: u32,
  o_blocks: u32, c_blocks: u32, groups_total: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;

var<workgroup> part: array<array<vec4f, 4>, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  let g = wg.y * groups.x + wg.x;
  let kx = g % p.KW;
  let ky = (g / p.KW) % p.KH;
  let cb = (g / (p.KW * p.KH)) % p.c_blocks;
  let ob = g / (p.KW * p.KH * p.c_blocks);
  let c0 = cb * 4u;
  let o0 = ob * 4u;
  let cl = vec4u(min(c0, p.C - 1u), min(c0 + 1u, p.C - 1u), min(c0 + 2u, p.C - 1u), min(c0 + 3u, p.C - 1u));
  let ol = vec4u(min(o0, p.O - 1u), min(o0 + 1u, p.O - 1u), min(o0 + 2u, p.O - 1u), min(o0 + 3u, p.O - 1u));
  let plane = p.HO * p.WO;
  let xplane = p.H * p.W;

  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0);
  if (g < p.groups_total) {
    // threads take whole output rows (n, oy) and walk along ox: no integer division in the inner loop,
    // which on CPU implementations costs more than the arithmetic it indexes
    for (var r = li; r < p.N * p.HO; r += 64u) {
      let n = r / p.HO;
      let oy = r % p.HO;
      let iy = i32(oy * p.sh + ky) - i32(p.ph);
      if (iy < 0 || iy >= i32(p.H)) { continue; }
      // output columns whose input column ox·sw − pw + kx lies inside [0, W)
      let lo = (max(i32(p.pw) - i32(kx), 0) + i32(p.sw) - 1) / i32(p.sw);
      let last = i32(p.W) - 1 + i32(p.pw) - i32(kx); // may be negative: then no column is valid (not 0 by truncation)
      let hi = select(-1, min(i32(p.WO) - 1, last / i32(p.sw)), last >= 0);
      let xrow = n * p.C * xplane + u32(iy) * p.W;
      let drow = n * p.O * plane + oy * p.WO;
      for (var ox = lo; ox <= hi; ox++) {
        let xi = xrow + u32(ox * i32(p.sw) + i32(kx) - i32(p.pw));
        let xv = vec4f(x[xi + cl.x * xplane], x[xi + cl.y * xplane], x[xi + cl.z * xplane], x[xi + cl.w * xplane]);
        let di = drow + u32(ox);
        a0 += dy[di + ol.x * plane] * xv;
        a1 += dy[di + ol.y * plane] * xv;
        a2 += dy[di + ol.z * plane] * xv;
        a3 += dy[di + ol.w * plane] * xv;
      }
    }
  }
  part[li] = array<vec4f, 4>(a0, a1, a2, a3);
  workgroupBarrier();
  for (var half = 32u; half > 0u; half >>= 1u) {
    if (li < half) {
      for (var j = 0u; j < 4u; j++) { part[li][j] += part[li + half][j]; }
    }
    workgroupBarrier();
  }
  // 16 threads write the 4×4 block
  if (li < 16u && g < p.groups_total) {
    let oj = li / 4u;
    let cj = li % 4u;
    let o = o0 + oj;
    let c = c0 + cj;
    if (o < p.O && c < p.C) { dw[((o * p.C + c) * p.KH + ky) * p.KW + kx] = part[0][oj][cj]; }
  }
}
