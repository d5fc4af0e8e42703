// Per-element negative log-likelihood of the VID loss (Backend.nll): spread s = a·scale + eps;
// LAPLACE: ln(2s) + |μ − t| / s, otherwise (Gaussian, s a variance) ½·ln s + (μ − t)² / (2s).
// LAPLACE is a compile-time constant the host prepends.
struct Params { n: u32, a: f32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> mu: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> t: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  for (var i = flat_id(wg, groups, li, 256u); i < p.n; i += grid_stride(groups, 256u)) {
    let s = p.a * scale[i] + p.eps;
    let d = mu[i] - t[i];
    if (LAPLACE) { y[i] = log(2.0 * s) + abs(d) / s; } else { y[i] = 0.5 * log(s) + d * d / (2.0 * s); }
  }
}
