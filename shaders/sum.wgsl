// Sum over a subset of the 4 axes (p.mask bit i set = axis i reduced), times p.scale.
// Workgroup g reduces chunk (g mod chunks) of output (g div chunks); its REDUCE_THREADS threads each walk a
// contiguous stretch of the reduced elements with an odometer over the reduced axes (divisions only to find the
// start, none per element), then one thread adds their partial sums. With several chunks per output the host
// sums the partials again.
struct Params { outputs: u32, count: u32, mask: u32, scale: f32, d0: u32, d1: u32, d2: u32, d3: u32, chunks: u32, chunk_len: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn reduced(k: u32) -> bool {
  return (p.mask & (1u << k)) != 0u;
}

@compute @workgroup_size(REDUCE_THREADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  let g = wg.y * groups.x + wg.x;
  let o = g / p.chunks;
  let dims = array<u32, 4>(p.d0, p.d1, p.d2, p.d3);
  let strides = array<u32, 4>(p.d1 * p.d2 * p.d3, p.d2 * p.d3, p.d3, 1u);
  var acc = 0.0;
  if (o < p.outputs) {
    let lo = (g % p.chunks) * p.chunk_len;
    let hi = min(p.count, lo + p.chunk_len);
    let per = (hi - lo + REDUCE_THREADS - 1u) / REDUCE_THREADS;
    let start = lo + li * per;
    let end = min(hi, start + per);
    if (start < end) {
      // offset of this output's first element: kept axes take their coordinates from o
      var idx = 0u;
      var rest = o;
      for (var k = 3; k >= 0; k--) {
        if (!reduced(u32(k))) { idx += (rest % dims[k]) * strides[k]; rest /= dims[k]; }
      }
      // coordinates of element `start` along the reduced axes
      var c = array<u32, 4>(0u, 0u, 0u, 0u);
      rest = start;
      for (var k = 3; k >= 0; k--) {
        if (reduced(u32(k))) { c[k] = rest % dims[k]; rest /= dims[k]; idx += c[k] * strides[k]; }
      }
      for (var r = start; r < end; r++) {
        acc += x[idx];
        // advance the odometer by one reduced element
        for (var k = 3; k >= 0; k--) {
          if (!reduced(u32(k))) { continue; }
          c[k]++;
          idx += strides[k];
          if (c[k] < dims[k]) { break; }
          idx -= dims[k] * strides[k];
          c[k] = 0u;
        }
      }
    }
  }
  partial[li] = acc;
  workgroupBarrier();
  if (li == 0u && o < p.outputs) { y[g] = sum_partials() * p.scale; }
}
