// Direct convolution, register-tiled: each invocation computes OT output channels × XT neighbouring output
// columns, so every input value it loads feeds OT multiply-adds and every weight XT. OT and XT are
// compile-time constants the host prepends (engine/webgpu/kernels/conv.ts picks them per layer shape), as are
// the kernel size KH×KW, strides SH, SW and paddings PH, PW (so the window loops unroll and their index
// arithmetic folds), the weights' binding 2 with its accessor `weight(i)`: a uniform buffer when they fit
// (cheaper loads on CPU implementations), storage otherwise; the input's binding 1 with its accessors `input(i)`
// and `input_window(row, ix0)` (vec4 loads where rows are aligned); the output's binding 4 with its stores
// (conv.ts, outputBinding); `emit1`/`emit4`, which store a result of channel o there, activated or not, or
// both (conv.ts, epilogue); and how the lanes get their weights (conv.ts,
// weightSharing: SHARED, LANES, LOADS, the entry point's `Lane`, `share_weights`).
//   y[n,o,oy,ox] = bias[o] + Σ_{c,ky,kx} x[n,c,oy·SH−PH+ky, ox·SW−PW+kx] · w[o,c,ky,kx]
// FLIPPED (a constant): the weights are a transposed conv's [C, O, KH, KW], read as w[c,o,KH−1−ky,KW−1−kx]; with
// stride 1 and padding K−1−P this kernel then computes that transposed conv (engine/webgpu/kernels/conv.ts).
// The grid is (item groups, output-channel blocks), so a workgroup shares its channels; items are numbered over the
// whole batch, `img` of them per image (p.spatial in all).
struct Params {
  spatial: u32, C: u32, H: u32, W: u32, O: u32, HO: u32, WO: u32, has_bias: u32, x_blocks: u32, img: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(3) var<storage, read> bias: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32, lane: Lane) {
  let o0 = wg.y * OT;
  let kk = KH * KW;
  // channels past O use channel O−1's weights (in bounds) and are never written
  var wo: array<u32, OT>;
  var b: array<f32, OT>;
  for (var j = 0u; j < OT; j++) {
    let o = min(o0 + j, p.O - 1u);
    wo[j] = o * select(p.C * kk, kk, FLIPPED);
    b[j] = select(0.0, bias[o], p.has_bias != 0u);
  }
  // SHARED: lane l of a subgroup loads the weights of output channels o0 + l + k·LANES (k < LOADS) alone, and
  // share_weights passes them round. Every lane then runs every loop: past the end it computes a clamped item
  // and stores nothing, so the broadcasts always find their lanes live.
  var wl: array<u32, LOADS>;
  for (var k = 0u; k < LOADS; k++) {
    wl[k] = min(o0 + min(k * LANES + lane_index(lane), OT - 1u), p.O - 1u) * select(p.C * kk, kk, FLIPPED);
  }
  let W = i32(p.W);
  // more item groups than a grid dimension holds: the workgroups loop
  for (var sg = wg.x; sg * 64u < p.spatial; sg += groups.x) {
    let live = sg * 64u + li < p.spatial;
    let item = min(sg * 64u + li, p.spatial - 1u);
    let n = item / p.img;
    let s = item % p.img;
    let ox0 = (s % p.x_blocks) * XT;
    let oy = s / p.x_blocks;
    var acc: array<array<f32, OT>, XT>;
    for (var t = 0u; t < XT; t++) { acc[t] = b; }
    let ix0 = i32(ox0 * SW) - i32(PW);
    for (var c = 0u; c < p.C; c++) {
      let plane = (n * p.C + c) * p.H;
      for (var ky = 0u; ky < KH; ky++) {
        let iy = i32(oy * SH + ky) - i32(PH);
        // rows in the padding are read clamped and count as zeros (no `continue`: with SHARED, every lane must
        // reach the broadcasts; without, lavapipe's code is the same either way, bench/NOTES.md entry 32)
        let inside = (iy >= 0) & (iy < i32(p.H));
        let row = i32((plane + u32(clamp(iy, 0, i32(p.H) - 1))) * p.W);
        let wk = select(c * kk + ky * KW, (c * p.O * KH + KH - 1u - ky) * KW, FLIPPED);
        var mine: array<array<f32, LOADS>, KW>;
        if (SHARED) {
          for (var kx = 0u; kx < KW; kx++) {
            for (var k = 0u; k < LOADS; k++) { mine[kx][k] = weight(wl[k] + wk + select(kx, KW - 1u - kx, FLIPPED)); }
          }
        }
        // with a window (XWIN > 0) the XT outputs' taps read XWIN = (XT − 1)·SW + KW consecutive inputs: load each
        // once; without one (too long to keep in registers), load per tap. XWIN is a constant: one branch remains.
        var xw: array<f32, max(XWIN, 1u)>;
        if (XWIN > 0u) { xw = input_window(row, ix0); }
        for (var kx = 0u; kx < KW; kx++) {
          var wv: array<f32, OT>;
          if (SHARED) {
            wv = share_weights(mine[kx]);
          } else {
            for (var j = 0u; j < OT; j++) { wv[j] = weight(wo[j] + wk + select(kx, KW - 1u - kx, FLIPPED)); }
          }
          for (var t = 0u; t < XT; t++) {
            var xv: f32;
            if (XWIN > 0u) {
              xv = select(0.0, xw[t * SW + kx], inside);
            } else {
              let ix = ix0 + i32(t * SW + kx);
              xv = select(0.0, input(row + clamp(ix, 0, W - 1)), (ix >= 0) & (ix < W) & inside);
            }
            for (var j = 0u; j < OT; j++) { acc[t][j] += xv * wv[j]; }
          }
        }
      }
    }
    for (var j = 0u; j < OT; j++) {
      let o = o0 + j;
      if (o >= p.O || !live) { break; }
      let at = ((n * p.O + o) * p.HO + oy) * p.WO + ox0;
      if (STORE4) {
        for (var t = 0u; t < XT; t += 4u) {
          let v = vec4f(acc[t][j], acc[t + 1u][j], acc[t + 2u][j], acc[t + 3u][j]);
          if (ox0 + t < p.WO) { emit4((at + t) / 4u, v, o); }
        }
      } else {
        for (var t = 0u; t < XT; t++) {
          if (ox0 + t < p.WO) { emit1(at + t, acc[t][j], o); }
        }
      }
    }
  }
}
