// Sum over a subset of the 4 axes (p.mask bit i set = axis i reduced), times p.scale.
// One workgroup per output element; its 256 threads stride over the reduced elements, then a tree reduction.
struct Params { outputs: u32, count: u32, mask: u32, scale: f32, d0: u32, d1: u32, d2: u32, d3: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  let o = wg.y * groups.x + wg.x;
  let dims = array<u32, 4>(p.d0, p.d1, p.d2, p.d3);
  let strides = array<u32, 4>(p.d1 * p.d2 * p.d3, p.d2 * p.d3, p.d3, 1u);
  // offset of this output's first element: kept axes take their coordinates from o
  var base = 0u;
  var rest = o;
  for (var k = 3; k >= 0; k--) {
    if ((p.mask & (1u << u32(k))) == 0u) { base += (rest % dims[k]) * strides[k]; rest /= dims[k]; }
  }
  var acc = 0.0;
  if (o < p.outputs) {
    for (var r = li; r < p.count; r += 256u) {
      var idx = base;
      var rr = r;
      for (var k = 3; k >= 0; k--) {
        if ((p.mask & (1u << u32(k))) != 0u) { idx += (rr % dims[k]) * strides[k]; rr /= dims[k]; }
      }
      acc += x[idx];
    }
  }
  partial[li] = acc;
  workgroupBarrier();
  for (var half = 128u; half > 0u; half >>= 1u) {
    if (li < half) { partial[li] += partial[li + half]; }
    workgroupBarrier();
  }
  if (li == 0u && o < p.outputs) { y[o] = partial[0] * p.scale; }
}
