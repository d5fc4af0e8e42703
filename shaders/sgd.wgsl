// In-place SGD step with momentum, dampening, Nesterov and weight decay as torch.optim.SGD.
// 1 − dampening comes from the host in double precision (like 1 − β in adam.wgsl).
struct Params { n: u32, lr: f32, momentum: f32, one_minus_dampening: f32, weight_decay: f32, nesterov: u32, first: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> buf: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  for (var i = flat_id(wg, groups, li, 256u); i < p.n; i += grid_stride(groups, 256u)) {
    var d = grad[i] + p.weight_decay * param[i];
    if (p.momentum != 0.0) {
      let b = select(p.momentum * buf[i] + p.one_minus_dampening * d, d, p.first != 0u);
      buf[i] = b;
      d = select(b, d + p.momentum * b, p.nesterov != 0u);
    }
    param[i] -= p.lr * d;
  }
}
