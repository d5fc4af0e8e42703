// conv2d_weight_grad.wgsl for rows whose widths W and WO are multiples of 4, read as vec4s: on lavapipe a vec4
// load costs about two scalar loads and brings four values (bench/NOTES.md, entry 23). Same sum, same grid:
// one workgroup per kernel row ky and OT×CT channel block, its 64 threads sharing the output rows (n, oy).
// A thread walks its row 4 output columns per step: one dy vec4 per output channel, and per input channel the
// window those columns' taps read (load_window, slide_window, accumulate: conv2d_weight_grad_rows4.wgsl, XC = CT
// channels). The host prepends the parameters and the output (conv2d_weight_grad_block.wgsl), the workgroup's final
// sum (conv2d_weight_grad_sum.wgsl), and the bindings, window constants and loads (conv2d_weight_grad_rows4.wgsl).
// STEPS = WO / 4, the steps along a row, is a constant the host prepends: with it the row loop ran 5–14% faster
// than with its bound read from the parameters (bench/NOTES.md, entry 31).

const XC = CT;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let ky = wg.x;
  let c0 = wg.y * CT;
  let o0 = wg.z * OT;
  let plane4 = p.HO * p.WO / 4u;
  let xplane4 = p.H * p.W / 4u;
  var xoff = input_offsets(c0, xplane4);
  var doff = output_offsets(o0, plane4);

  var acc: array<f32, ACC>;
  for (var r = li; r < p.N * p.HO; r += 64u) {
    let rows = rows_at(r, ky);
    if (rows.padding) { continue; }
    let xrow = rows.x / 4u; // rows are a whole number of vec4s
    let drow = rows.dy / 4u;
    // vec4 index (within the row) of the window's first vec4 at the step before the first
    var g = -i32((PW + OFF) / 4u) - i32(SW);
    var xw: array<array<vec4f, V>, CT>;
    if (NEW < V) { load_window(&xw, xrow, xoff, g, NEW, true); }
    for (var q = 0u; q < STEPS; q++) {
      g += i32(SW);
      slide_window(&xw, xrow, xoff, g, true);
      for (var i = 0u; i < OT; i++) { accumulate(&acc, i * CT * KW, dy[drow + doff[i] + q], &xw); }
    }
  }
  write_block(li, acc, ky, c0, o0);
}
