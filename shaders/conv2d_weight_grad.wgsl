// ∂L/∂w[o,c,ky,kx] = Σ_{n,oy,ox} dy[n,o,oy,ox] · x[n,c,oy·sh−ph+ky, ox·sw−pw+kx].
// One workgroup per weight element: 64 threads stride over (n, oy, ox), then a tree reduction (no atomics).
struct Params {
  weights: u32, N: u32, C: u32, H: u32, W: u32, O: u32, KH: u32, KW: u32, HO: u32, WO: u32,
  sh: u32, sw: u32, ph: u32, pw: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;

var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  let j = wg.y * groups.x + wg.x;
  let kx = j % p.KW;
  let ky = (j / p.KW) % p.KH;
  let c = (j / (p.KW * p.KH)) % p.C;
  let o = j / (p.KW * p.KH * p.C);
  let plane = p.HO * p.WO;
  var acc = 0.0;
  if (j < p.weights) {
    for (var r = li; r < p.N * plane; r += 64u) {
      let n = r / plane;
      let oy = (r % plane) / p.WO;
      let ox = r % p.WO;
      let iy = i32(oy * p.sh + ky) - i32(p.ph);
      let ix = i32(ox * p.sw + kx) - i32(p.pw);
      if (iy >= 0 && iy < i32(p.H) && ix >= 0 && ix < i32(p.W)) {
        acc += dy[(n * p.O + o) * plane + r % plane] * x[((n * p.C + c) * p.H + u32(iy)) * p.W + u32(ix)];
      }
    }
  }
  partial[li] = acc;
  workgroupBarrier();
  for (var half = 32u; half > 0u; half >>= 1u) {
    if (li < half) { partial[li] += partial[li + half]; }
    workgroupBarrier();
  }
  if (li == 0u && j < p.weights) { dw[j] = partial[0]; }
}
