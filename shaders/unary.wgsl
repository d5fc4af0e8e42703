// y = f(x) for the unary op selected by p.op (the order of UNARY_OPS in engine/webgpu/kernels/elementwise.ts).
struct Params { n: u32, op: u32, lo: f32, hi: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// log(1 + e) for e in [0, 1], without log: log(1 + e) = 2·atanh(s) with s = e / (2 + e) in [0, 1/3], summed as
// its odd series (truncation below 1e-10 relative). log(1.0 + e) would round 1 + e first, returning 0 for
// e < 2^-24 and losing digits for every small e.
fn log1p_unit(e: f32) -> f32 {
  let s = e / (2.0 + e);
  let s2 = s * s;
  let q = 1.0 / 15.0 + s2 * (1.0 / 17.0 + s2 * (1.0 / 19.0));
  let r = 1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 * q)));
  return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * r)));
}

fn softplus(v: f32) -> f32 {
  // max(v, 0) + log1p(e^-|v|): never overflows, and stays accurate for very negative v
  return max(v, 0.0) + log1p_unit(exp(-abs(v)));
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
  for (var i = flat_id(wg, groups, li, 256u); i < p.n; i += grid_stride(groups, 256u)) {
    y[i] = apply(p.op, x[i]);
  }
}
