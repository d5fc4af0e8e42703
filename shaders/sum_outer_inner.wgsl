// Sum of x viewed as [R1, K, R2] over R1 and R2 (the common reductions: everything, K = 1; a per-channel sum
// of [N, C, H, W], R1 = N, K = C, R2 = H·W), times p.scale, counted in elements of type T (f32, or vec4f when
// R2 is a multiple of 4: engine/webgpu/kernels/element-type.ts). Workgroup g reduces chunk (g mod chunks) of
// output k = g div chunks; each of its REDUCE_THREADS threads walks a contiguous stretch of the R1·R2 reduced
// elements, carrying (r1, r2) along instead of dividing per element; then one thread adds their partial sums. With
// several chunks per output the host sums the partials again.
struct Params { K: u32, R1: u32, R2: u32, scale: f32, chunks: u32, chunk_len: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(REDUCE_THREADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  let g = wg.y * groups.x + wg.x;
  let k = g / p.chunks;
  var acc = T(0.0);
  if (k < p.K) {
    let lo = (g % p.chunks) * p.chunk_len;
    let hi = min(p.R1 * p.R2, lo + p.chunk_len);
    let per = (hi - lo + REDUCE_THREADS - 1u) / REDUCE_THREADS;
    let start = lo + li * per;
    let end = min(hi, start + per);
    if (start < end) {
      var r1 = start / p.R2;
      var r2 = start % p.R2;
      var idx = (r1 * p.K + k) * p.R2 + r2;
      let jump = (p.K - 1u) * p.R2; // from the end of one r1's run to the start of the next
      var r = start;
      while (r < end) {
        // four at a time within a run: the loop's own cost is what a CPU implementation pays per iteration
        if (r + 4u <= end && r2 + 4u <= p.R2) {
          acc += (x[idx] + x[idx + 1u]) + (x[idx + 2u] + x[idx + 3u]);
          idx += 4u;
          r2 += 4u;
          r += 4u;
        } else {
          acc += x[idx];
          idx++;
          r2++;
          r++;
        }
        if (r2 == p.R2) { r2 = 0u; idx += jump; }
      }
    }
  }
  partial[li] = total(acc);
  workgroupBarrier();
  if (li == 0u && k < p.K) { y[g] = sum_partials() * p.scale; }
}
