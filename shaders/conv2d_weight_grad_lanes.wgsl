// conv2d_weight_grad_vec4.wgsl with the lanes of a subgroup on one row: the same sum, the same grid (one workgroup
// per kernel row ky and OT×CT channel block), but each subgroup of S lanes walks output rows (n, oy) together,
// lane l taking output channels o0 + l + m·S (m < OPL = OT / S). The x window of a row, which every output channel
// reads, is then loaded once per subgroup: each step's CT·NEW new vec4s are spread over the lanes, one load each,
// and handed round by shuffles — where the vec4 kernel loaded all of them in every lane (on lavapipe a load costs
// per lane; bench/NOTES.md, entry 44). Each lane loads only its own channels' dy. The host prepends the window
// (KH, KW, SH, SW, PH, PW), OT, CT, S (the subgroup size, the same for every subgroup of the device), STEPS = WO / 4
// and conv2d_weight_grad_block.wgsl, then conv2d_weight_grad_rows4.wgsl (x, dy and the window's OFF, V, NEW);
// rows are a whole number of vec4s (W % 4 = WO % 4 = 0).
const OPL = OT / S;                        // output channels per lane
const ACC = OPL * CT * KW;                 // a lane's sums
const GROUPS = 64u / S;                    // subgroups per workgroup

// a subgroup's partial sums, by (subgroup, lane), until they meet at the end
var<workgroup> part: array<array<f32, ACC>, 64>;
// hands each subgroup a dense index: implementations need not group invocations by local_invocation_index
var<workgroup> groups_seen: atomic<u32>;

// x vec4s u0 … V − 1 of the CT channels' windows, whose first vec4 is column vec4 `at0` of row `xrow`: item
// i = j·count + (u − u0) is loaded by lane i mod S and reaches every lane by a shuffle. Zero outside the row.
fn load_window(xw: ptr<function, array<array<vec4f, V>, CT>>, xrow: u32, xoff: array<u32, CT>, at0: i32, u0: u32, lane: u32) {
  let count = V - u0;
  let W4 = i32(p.W / 4u);
  var mine: array<vec4f, (CT * V + S - 1u) / S>;
  for (var k = 0u; k * S < CT * count; k++) {
    let item = min(k * S + lane, CT * count - 1u);
    let j = item / count;
    let at = at0 + i32(u0 + item % count);
    mine[k] = select(vec4f(0.0), x[xrow + xoff[j] + u32(clamp(at, 0, W4 - 1))], at >= 0 && at < W4);
  }
  for (var j = 0u; j < CT; j++) {
    for (var u = u0; u < V; u++) {
      let item = j * count + (u - u0);
      (*xw)[j][u] = subgroupShuffle(mine[item / S], item % S);
    }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let ky = wg.x;
  let c0 = wg.y * CT;
  let o0 = wg.z * OT;
  let plane4 = p.HO * p.WO / 4u;
  var first = 0u;
  if (subgroupElect()) { first = atomicAdd(&groups_seen, 1u); }
  let group = subgroupBroadcastFirst(first);
  let xoff = input_offsets(c0, p.H * p.W / 4u);
  var doff: array<u32, OPL>;
  for (var m = 0u; m < OPL; m++) { doff[m] = min(o0 + lane + m * S, p.O - 1u) * plane4; }

  var acc: array<f32, ACC>;
  // the subgroup's lanes share r, so every branch below is the same in all of them
  for (var r = group; r < p.N * p.HO; r += GROUPS) {
    let rows = rows_at(r, ky);
    if (rows.padding) { continue; }
    let xrow = rows.x / 4u;
    let drow = rows.dy / 4u;
    // vec4 index (within the row) of the window's first vec4 at the step before the first
    var g = -i32((PW + OFF) / 4u) - i32(SW);
    var xw: array<array<vec4f, V>, CT>;
    if (NEW < V) { load_window(&xw, xrow, xoff, g, NEW, lane); }
    for (var q = 0u; q < STEPS; q++) {
      g += i32(SW);
      for (var u = 0u; u + NEW < V; u++) {
        for (var j = 0u; j < CT; j++) { xw[j][u] = xw[j][u + NEW]; }
      }
      load_window(&xw, xrow, xoff, g, V - NEW, lane);
      for (var m = 0u; m < OPL; m++) {
        let d = dy[drow + doff[m] + q];
        for (var b = 0u; b < 4u; b++) {
          for (var j = 0u; j < CT; j++) {
            for (var kx = 0u; kx < KW; kx++) {
              let at = OFF + b * SW + kx;
              acc[(m * CT + j) * KW + kx] += d[b] * xw[j][at / 4u][at % 4u];
            }
          }
        }
      }
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
    let o = o0 + l + (a / (CT * KW)) * S;
    let c = c0 + (a / KW) % CT;
    if (o < p.O && c < p.C) { dw[((o * p.C + c) * KH + ky) * KW + a % KW] = t; }
  }
}
