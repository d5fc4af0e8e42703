// Gradients of k·Σ nll (see nll.wgsl) with respect to μ and scale, k = g[0]·p.factor:
// LAPLACE: ∂/∂μ = k·sign(μ − t)/s, ∂/∂scale = k·a·(1/s − |μ − t|/s²);
// Gaussian: ∂/∂μ = k·(μ − t)/s, ∂/∂scale = k·a·(½/s − (μ − t)²/(2s²)).
struct Params { n: u32, a: f32, eps: f32, factor: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> mu: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> t: array<f32>;
@group(0) @binding(4) var<storage, read> g: array<f32>;
@group(0) @binding(5) var<storage, read_write> dmu: array<f32>;
@group(0) @binding(6) var<storage, read_write> dscale: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  let k = g[0] * p.factor;
  for (var i = flat_id(wg, groups, li, 256u); i < p.n; i += grid_stride(groups, 256u)) {
    let s = p.a * scale[i] + p.eps;
    let d = mu[i] - t[i];
    if (LAPLACE) {
      dmu[i] = k * sign(d) / s;
      dscale[i] = k * p.a * (1.0 / s - abs(d) / (s * s));
    } else {
      dmu[i] = k * d / s;
      dscale[i] = k * p.a * (0.5 / s - d * d / (2.0 * s * s));
    }
  }
}
