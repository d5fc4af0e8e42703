// The end of a weight-gradient workgroup's work (conv2d_weight_grad.wgsl, conv2d_weight_grad_vec4.wgsl): the 64
// threads' partial sums of its OT×CT×KW block meet in workgroup memory (no atomics).
const ACC = OT * CT * KW;
var<workgroup> part: array<array<f32, ACC>, 64>;

// Called by every thread of the workgroup (it holds a barrier): thread k adds up sum k of the block over the 64
// threads and writes it (one barrier: a tree would cost six).
fn write_block(li: u32, acc: array<f32, ACC>, ky: u32, c0: u32, o0: u32) {
  part[li] = acc;
  workgroupBarrier();
  for (var k = li; k < ACC; k += 64u) {
    var t = 0.0;
    for (var i = 0u; i < 64u; i++) { t += part[i][k]; }
    let o = o0 + k / (CT * KW);
    let c = c0 + (k / KW) % CT;
    let kx = k % KW;
    if (o < p.O && c < p.C) { dw[((o * p.C + c) * KH + ky) * KW + kx] = t; }
  }
}
