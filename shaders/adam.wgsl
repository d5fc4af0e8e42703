// In-place Adam step with PyTorch's arithmetic: p -= (lr / bc1) · m / (sqrt(v) / sqrt(bc2) + eps).
// 1 − β comes from the host in double precision: 1 − f32(0.999) would be 1.3e-5 off.
struct Params {
  n: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, weight_decay: f32, bc1: f32, sqrt_bc2: f32,
  one_minus_beta1: f32, one_minus_beta2: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  for (var i = flat_id(wg, groups, li, 256u); i < p.n; i += grid_stride(groups, 256u)) {
    let g = grad[i] + p.weight_decay * param[i];
    let mi = p.beta1 * m[i] + p.one_minus_beta1 * g;
    let vi = p.beta2 * v[i] + p.one_minus_beta2 * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] -= (p.lr / p.bc1) * mi / (sqrt(vi) / p.sqrt_bc2 + p.eps);
  }
}
