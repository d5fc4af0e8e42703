// conv2d_weight_grad_vec4.wgsl with the lanes of a subgroup on one row: the same sum, the same grid (one workgroup
// per kernel row ky and OT×CT channel block), but each subgroup of S lanes walks output rows (n, oy) together, lane
// l taking input channels c0 + l + j·S (j < XC = CT / S) and all OT output channels. Every lane reads the same dy
// vec4s a step — the row's, one per output channel — so each is loaded once per subgroup, OT / S per lane, and
// handed round by shuffles; each lane loads only its own channels' x window. A step of the encoder's 5×5 stride-4
// layer loads, per lane, 1 dy and 4 x vec4s for 160 multiply-adds (8 channels × 4 columns × 5 taps), where the
// vec4 kernel's thread loads 8 and 4 (on lavapipe a load costs per lane; bench/NOTES.md, entry 56). The host prepends the window (KH, KW, SH, SW, PH, PW), OT, CT, S (the
// subgroup size, the same for every subgroup of the device), STEPS = WO / 4 and conv2d_weight_grad_block.wgsl, then
// conv2d_weight_grad_rows4.wgsl (x, dy, the window and its loads); rows are a whole number of vec4s
// (W % 4 = WO % 4 = 0).
const XC = CT / S;                         // input channels per lane
const ACC = OT * XC * KW;                  // a lane's sums
const GROUPS = 64u / S;                    // subgroups per workgroup
const DL = (OT + S - 1u) / S;              // dy vec4s a lane loads a step

// a subgroup's partial sums, by (subgroup, lane), until they meet at the end
var<workgroup> part: array<array<f32, ACC>, 64>;
// hands each subgroup a dense index: implementations need not group invocations by local_invocation_index
var<workgroup> groups_seen: atomic<u32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let ky = wg.x;
  let c0 = wg.y * CT;
  let o0 = wg.z * OT;
  let plane4 = p.HO * p.WO / 4u;
  let xplane4 = p.H * p.W / 4u;
  var first = 0u;
  if (subgroupElect()) { first = atomicAdd(&groups_seen, 1u); }
  let group = subgroupBroadcastFirst(first);
  // channels past the end take the last one's (in bounds) and are never written
  var xoff: array<u32, XC>;
  for (var j = 0u; j < XC; j++) { xoff[j] = min(c0 + lane + j * S, p.C - 1u) * xplane4; }
  var doff: array<u32, DL>;
  for (var k = 0u; k < DL; k++) { doff[k] = min(o0 + lane + k * S, p.O - 1u) * plane4; }

  var acc: array<f32, ACC>;
  // the subgroup's lanes share r, so every branch below is the same in all of them
  for (var r = group; r < p.N * p.HO; r += GROUPS) {
    let rows = rows_at(r, ky);
    if (rows.padding) { continue; }
    let xrow = rows.x / 4u;
    let drow = rows.dy / 4u;
    // vec4 index (within the row) of the window's first vec4 at the step before the first
    var g = -i32((PW + OFF) / 4u) - i32(SW);
    var xw: array<array<vec4f, V>, XC>;
    if (NEW < V) { load_window(&xw, xrow, xoff, g, NEW); }
    for (var q = 0u; q < STEPS; q++) {
      g += i32(SW);
      slide_window(&xw, xrow, xoff, g);
      var mine: array<vec4f, DL>;
      for (var k = 0u; k < DL; k++) { mine[k] = dy[drow + doff[k] + q]; }
      for (var i = 0u; i < OT; i++) { accumulate(&acc, i * XC * KW, subgroupShuffle(mine[i / S], i % S), &xw); }
    }
  }
  part[group * S + lane] = acc;
  workgroupBarrier();
  // sum k of the block (lane k / ACC's a-th) over the subgroups, one barrier
  for (var k = li; k < S * ACC; k += 64u) {
    let l = k / ACC;
    let a = k % ACC;
    var t = 0.0;
    for (var i = 0u; i < GROUPS; i++) { t += part[i * S + l][a]; }
    let o = o0 + a / (XC * KW);
    let c = c0 + l + ((a / KW) % XC) * S;
    if (o < p.O && c < p.C) { dw[((o * p.C + c) * KH + ky) * KW + a % KW] = t; }
  }
}
