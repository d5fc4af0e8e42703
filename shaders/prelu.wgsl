// y = x for x > 0, else slope·x; slope is one value (p.per_channel = 0) or one per channel.
struct Params { n: u32, C: u32, plane: u32, per_channel: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> slope: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  for (var i = flat_id(wg, groups, li, 256u); i < p.n; i += grid_stride(groups, 256u)) {
    let a = slope[select(0u, (i / p.plane) % p.C, p.per_channel != 0u)];
    let v = x[i];
    y[i] = select(a * v, v, v > 0.0);
  }
}
