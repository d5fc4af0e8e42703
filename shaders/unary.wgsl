// y = f(x) for the unary op selected by p.op (the order of UNARY_OPS in engine/webgpu/kernels/elementwise.ts).
struct Params { n: u32, op: u32, lo: f32, hi: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn softplus(v: f32) -> f32 {
  // max(v, 0) + log(1 + e^-|v|): never overflows, and stays accurate for very negative v
  return max(v, 0.0) + log(1.0 + exp(-abs(v)));
}

fn apply(op: u32, v: f32) -> f32 {
  switch op {
    case 0u: { return -v; }
    case 1u: { return abs(v); }
    case 2u: { return exp(v); }
    case 3u: { return log(v); }
    case 4u: { return sqrt(v); }
    case 5u: { return v * v; }
    case 6u: { return softplus(v); }
    case 7u: { return clamp(v, p.lo, p.hi); }
    default: { return sign(v); }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = flat_id(wg, groups, li, 256u);
  if (i < p.n) { y[i] = apply(p.op, x[i]); }
}
