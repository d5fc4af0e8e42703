// ∂L/∂w[o,c,ky,kx] = Σ_{n,oy,ox} dy[n,o,oy,ox] · x[n,c,oy·SH−PH+ky, ox·SW−PW+kx].
// One workgroup per kernel row ky and block of OT output × CT input channels; it accumulates the whole row of
// taps kx = 0 … KW−1 for that block. Its 64 threads share the output rows (n, oy) and walk each along ox, XB
// columns per step: OT·XB dy values and the CT·XWIN inputs those columns' taps read, for OT·CT·KW·XB
// multiply-adds. Their partial sums meet in workgroup memory (conv2d_weight_grad_block.wgsl). OT, CT, XB and
// the window (KH, KW, SH, SW, PH, PW) are compile-time constants the host prepends (engine/webgpu/kernels/conv.ts).
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;

const XWIN = (XB - 1u) * SW + KW;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let ky = wg.x;
  let c0 = wg.y * CT;
  let o0 = wg.z * OT;
  let plane = p.HO * p.WO;
  let xplane = p.H * p.W;
  let W = i32(p.W);
  var xoff = input_offsets(c0, xplane);
  var doff = output_offsets(o0, plane);

  var acc: array<f32, ACC>;
  for (var r = li; r < p.N * p.HO; r += 64u) {
    let rows = rows_at(r, ky);
    if (rows.padding) { continue; }
    let xrow = rows.x;
    let drow = rows.dy;
    // XB output columns at a time: their taps read XWIN = (XB − 1)·SW + KW consecutive inputs of each channel
    for (var ox0 = 0u; ox0 < p.WO; ox0 += XB) {
      let ix0 = i32(ox0 * SW) - i32(PW);
      var xv: array<array<f32, XWIN>, CT>;
      for (var m = 0u; m < XWIN; m++) {
        let ix = ix0 + i32(m);
        let ok = ix >= 0 && ix < W;
        let at = xrow + u32(clamp(ix, 0, W - 1));
        for (var j = 0u; j < CT; j++) { xv[j][m] = select(0.0, x[at + xoff[j]], ok); }
      }
      for (var b = 0u; b < XB; b++) {
        // columns past the row's end contribute a zero dy
        let ok = ox0 + b < p.WO;
        let at = drow + min(ox0 + b, p.WO - 1u);
        for (var i = 0u; i < OT; i++) {
          let d = select(0.0, dy[at + doff[i]], ok);
          for (var j = 0u; j < CT; j++) {
            for (var kx = 0u; kx < KW; kx++) { acc[(i * CT + j) * KW + kx] += d * xv[j][b * SW + kx]; }
          }
        }
      }
    }
  }
  write_block(li, acc, ky, c0, o0);
}
