// dx = dy · f'(x) for the unary op selected by p.op (same numbering as unary.wgsl).
struct Params { n: u32, op: u32, lo: f32, hi: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn sigmoid(v: f32) -> f32 {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}

fn derivative(op: u32, v: f32) -> f32 {
  switch op {
    case 0u: { return -1.0; }
    case 1u: { return sign(v); }
    case 2u: { return exp(v); }
    case 3u: { return 1.0 / v; }
    case 4u: { return 0.5 / sqrt(v); }
    case 5u: { return 2.0 * v; }
    case 6u: { return sigmoid(v); }
    case 7u: { return select(0.0, 1.0, v >= p.lo && v <= p.hi); }
    default: { return 0.0; }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  for (var i = flat_id(wg, groups, li, 256u); i < p.n; i += grid_stride(groups, 256u)) {
    dx[i] = dy[i] * derivative(p.op, x[i]);
  }
}
