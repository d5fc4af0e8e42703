// ys = f(xs) elementwise for one unary op. `fn f(x: f32, a0: f32, a1: f32) -> f32` is generated from the op's
// entry in engine/unary-table.ts and prepended (engine/webgpu/kernels/unary.ts); a0 and a1 are the op's arguments
// (clamp's bounds, leakyRelu's slope), which ops without arguments ignore.
struct Params { n: u32, a0: f32, a1: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read_write> ys: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  for (var i = flat_id(wg, groups, li, 256u); i < p.n; i += grid_stride(groups, 256u)) {
    ys[i] = f(xs[i], p.a0, p.a1);
  }
}
