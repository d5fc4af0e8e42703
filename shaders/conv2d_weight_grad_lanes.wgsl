// conv2d_weight_grad_vec4.wgsl with the lanes of a subgroup on one output row (n, oy), each on its own x row: lane
// l takes the pair t = b·S + l of input channel c = t mod C and kernel row ky = t / C (b: the workgroup's block of
// pairs), and all OT output channels of the workgroup's block z. Every lane reads the same dy vec4s a step — the
// output row's, one per output channel — so each is loaded once per subgroup (OT / S a lane) and handed round by
// shuffles; each lane loads only its own x row's window. A step of the encoder's 5×5 stride-4 layer loads, per
// lane, 1 dy and 4 x vec4s for 160 multiply-adds (8 channels × 4 columns × 5 taps), where the vec4 kernel's thread
// loads 8 and 4; FSRCNN's first layer (one input channel, a lane per kernel row) 2 for 160 where it loaded 9 (on
// lavapipe a load costs per lane; bench/NOTES.md, entries 56–57). The host prepends the window (KH, KW, SH, SW,
// PH, PW), KY_UNIFORM, OT, CT = 1, S (the subgroup size, the same for every subgroup of the device), STEPS = WO / 4
// and conv2d_weight_grad_block.wgsl, then conv2d_weight_grad_rows4.wgsl (x, dy, the window and its loads); rows are
// a whole number of vec4s (W % 4 = WO % 4 = 0). The grid is (blocks of pairs, 1, output-channel blocks), or where S
// divides C (KY_UNIFORM) (KH, C / S, output-channel blocks): then a workgroup's lanes share its kernel row ky.
const XC = 1u;                             // a lane's x rows
const ACC = OT * KW;                       // a lane's sums
const GROUPS = 64u / S;                    // subgroups per workgroup
const DL = (OT + S - 1u) / S;              // dy vec4s a lane loads a step

// a subgroup's partial sums, by (subgroup, lane), until they meet at the end
var<workgroup> part: array<array<f32, ACC>, 64>;
// hands each subgroup a dense index: implementations need not group invocations by local_invocation_index
var<workgroup> groups_seen: atomic<u32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32, @builtin(subgroup_invocation_id) lane: u32) {
  // pairs past the last take the last one's x row (in bounds) and are never written
  let b = wg.x * nwg.y + wg.y;
  let t = min(b * S + lane, p.C * KH - 1u);
  let c = t % p.C;
  var ky = t / p.C;
  if (KY_UNIFORM) { ky = wg.x; } // the same, known to be the same in every lane
  let o0 = wg.z * OT;
  let plane4 = p.HO * p.WO / 4u;
  var first = 0u;
  if (subgroupElect()) { first = atomicAdd(&groups_seen, 1u); }
  let group = subgroupBroadcastFirst(first);
  let xoff = array<u32, XC>(c * p.H * p.W / 4u);
  var doff: array<u32, DL>;
  for (var k = 0u; k < DL; k++) { doff[k] = min(o0 + lane + k * S, p.O - 1u) * plane4; }

  var acc: array<f32, ACC>;
  // the subgroup's lanes share r, so the loop and the shuffles run in all of them
  for (var r = group; r < p.N * p.HO; r += GROUPS) {
    let rows = rows_at(r, ky);
    // a row of padding for every lane is skipped; a lane whose x row alone is padding loads zeros (not live)
    if (subgroupAll(rows.padding)) { continue; }
    let xrow = rows.x / 4u;
    let drow = rows.dy / 4u;
    // vec4 index (within the row) of the window's first vec4 at the step before the first
    var g = -i32((PW + OFF) / 4u) - i32(SW);
    var xw: array<array<vec4f, V>, XC>;
    if (NEW < V) { load_window(&xw, xrow, xoff, g, NEW, !rows.padding); }
    for (var q = 0u; q < STEPS; q++) {
      g += i32(SW);
      slide_window(&xw, xrow, xoff, g, !rows.padding);
      var mine: array<vec4f, DL>;
      for (var k = 0u; k < DL; k++) { mine[k] = dy[drow + doff[k] + q]; }
      for (var i = 0u; i < OT; i++) { accumulate(&acc, i * KW, subgroupShuffle(mine[i / S], i % S), &xw); }
    }
  }
  part[group * S + lane] = acc;
  workgroupBarrier();
  // sum k of the block (lane k / ACC's a-th) over the subgroups, one barrier
  for (var k = li; k < S * ACC; k += 64u) {
    let l = k / ACC;
    let a = k % ACC;
    var sum = 0.0;
    for (var i = 0u; i < GROUPS; i++) { sum += part[i * S + l][a]; }
    let tl = b * S + l;
    let o = o0 + a / KW;
    if (o < p.O && tl < p.C * KH) { dw[((o * p.C + tl % p.C) * KH + tl / p.C) * KW + a % KW] = sum; }
  }
}
