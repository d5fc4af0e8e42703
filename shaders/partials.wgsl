// Prepended to the reduction kernels (sum, sum_outer_inner, prelu_backward) after the constant REDUCE_THREADS,
// their workgroup size (engine/webgpu/kernels/partials.ts): each thread's partial sum, and their total, added
// by the one thread that calls sum_partials after a barrier: on CPU implementations every barrier of a tree
// reduction costs more than these adds (bench/NOTES.md, entry 13).
var<workgroup> partial: array<f32, REDUCE_THREADS>;

fn sum_partials() -> f32 {
  var t = 0.0;
  for (var i = 0u; i < REDUCE_THREADS; i++) { t += partial[i]; }
  return t;
}
