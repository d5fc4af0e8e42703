// dx = dy where x > 0, else slope·dy; and the slope's gradient Σ x·dy over x ≤ 0. Runs as in prelu.wgsl:
// run k = m·C + c belongs to channel c, whose slope is slope[c · p.slope_step] (step 0: one shared slope). Workgroup
// (c, chunk) takes runs m = chunk, chunk + chunks, … of channel c, so its threads' partial sums all belong to one
// channel: one thread adds them into dslope_part[c·chunks + chunk] (the host sums over chunks when there are
// several, and over channels for a shared slope). BIAS_GRAD (a constant the host prepends): the channel's Σ dx
// goes to dbias_part likewise — the gradient of the bias of a conv whose output this PReLU takes, at no pass of
// its own.
struct Params { n: u32, planes: u32, C: u32, plane: u32, chunks: u32, slope_step: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read> slope: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<T>;
@group(0) @binding(4) var<storage, read_write> dx: array<T>;
@group(0) @binding(5) var<storage, read_write> dslope_part: array<f32>;

@compute @workgroup_size(REDUCE_THREADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let c = wg.x;
  let chunk = wg.y;
  let a = slope[c * p.slope_step];
  var acc = T(0.0);
  var dsum = T(0.0);
  for (var k = chunk * p.C + c; k < p.planes; k += p.chunks * p.C) {
    let base = k * p.plane;
    let end = min(p.n, base + p.plane);
    for (var i = base + li; i < end; i += REDUCE_THREADS) {
      let v = x[i];
      let g = dy[i];
      let positive = v > T(0.0);
      let d = select(a * g, g, positive);
      dx[i] = d;
      acc += select(v * g, T(0.0), positive);
      if (BIAS_GRAD) { dsum += d; }
    }
  }
  partial[li] = total(acc);
  workgroupBarrier();
  if (li == 0u) { dslope_part[c * p.chunks + chunk] = sum_partials(); }
  if (BIAS_GRAD) {
    workgroupBarrier();
    partial[li] = total(dsum);
    workgroupBarrier();
    if (li == 0u) { bias_sum(c * p.chunks + chunk, sum_partials()); }
  }
}
