// What the weight-gradient kernels (conv2d_weight_grad.wgsl, scalar; conv2d_weight_grad_vec4.wgsl;
// conv2d_weight_grad_lanes.wgsl) share: their parameters, the output binding, the channel block's offsets and the
// rows a thread walks. The host prepends it to each; the first two end with conv2d_weight_grad_sum.wgsl.
struct Params {
  N: u32, C: u32, H: u32, W: u32, O: u32, HO: u32, WO: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;

// Where the block's input and output channels start, in planes of `xplane` and `plane` elements (of x and dy as
// the kernel indexes them). Channels past the end take the last one's (in bounds) and are never written.
fn input_offsets(c0: u32, xplane: u32) -> array<u32, CT> {
  var off: array<u32, CT>;
  for (var j = 0u; j < CT; j++) { off[j] = min(c0 + j, p.C - 1u) * xplane; }
  return off;
}
fn output_offsets(o0: u32, plane: u32) -> array<u32, OT> {
  var off: array<u32, OT>;
  for (var i = 0u; i < OT; i++) { off[i] = min(o0 + i, p.O - 1u) * plane; }
  return off;
}

// Row r of a thread's walk over the output rows (n, oy): where that dy row starts and where the x row its kernel
// row ky reads starts (in elements), and whether that x row lies in the zero padding (then it adds nothing).
struct Rows { x: u32, dy: u32, padding: bool }
fn rows_at(r: u32, ky: u32) -> Rows {
  let n = r / p.HO;
  let oy = r % p.HO;
  let iy = i32(oy * SH + ky) - i32(PH);
  return Rows((n * p.C * p.H + u32(max(iy, 0))) * p.W, (n * p.O * p.HO + oy) * p.WO, iy < 0 || iy >= i32(p.H));
}
