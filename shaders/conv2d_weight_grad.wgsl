// ∂L/∂w[o,c,ky,kx] = Σ_{n,oy,ox} dy[n,o,oy,ox] · x[n,c,oy·sh−ph+ky, ox·sw−pw+kx].
// One workgroup per tap (ky,kx) and OT×CT block of (output, input) channels (compile-time constants the host
// prepends: 4×4, or 16×1 / 1×16 when one side has a single channel). Its 64 threads share the output rows
// (n, oy) and walk each along ox, loading OT dy and CT x values for OT·CT multiply-adds; then a tree
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

const ACC = OT * CT;
var<workgroup> part: array<array<f32, ACC>, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  let g = wg.y * groups.x + wg.x;
  let kx = g % p.KW;
  let ky = (g / p.KW) % p.KH;
  let cb = (g / (p.KW * p.KH)) % p.c_blocks;
  let ob = g / (p.KW * p.KH * p.c_blocks);
  let c0 = cb * CT;
  let o0 = ob * OT;
  let plane = p.HO * p.WO;
  let xplane = p.H * p.W;
  // channels past the end read the last one (in bounds) and are never written
  var xoff: array<u32, CT>;
  for (var j = 0u; j < CT; j++) { xoff[j] = min(c0 + j, p.C - 1u) * xplane; }
  var doff: array<u32, OT>;
  for (var j = 0u; j < OT; j++) { doff[j] = min(o0 + j, p.O - 1u) * plane; }

  var acc: array<f32, ACC>;
  if (g < p.groups_total) {
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
        let di = drow + u32(ox);
        var xv: array<f32, CT>;
        for (var j = 0u; j < CT; j++) { xv[j] = x[xi + xoff[j]]; }
        for (var i = 0u; i < OT; i++) {
          let d = dy[di + doff[i]];
          for (var j = 0u; j < CT; j++) { acc[i * CT + j] += d * xv[j]; }
        }
      }
    }
  }
  part[li] = acc;
  workgroupBarrier();
  for (var half = 32u; half > 0u; half >>= 1u) {
    if (li < half) {
      for (var k = 0u; k < ACC; k++) { part[li][k] += part[li + half][k]; }
    }
    workgroupBarrier();
  }
  // the first ACC threads write the block
  if (li < ACC && g < p.groups_total) {
    let o = o0 + li / CT;
    let c = c0 + li % CT;
    if (o < p.O && c < p.C) { dw[((o * p.C + c) * p.KH + ky) * p.KW + kx] = part[0][li]; }
  }
}
