// dx = dy where x > 0, else slope·dy; also writes x·dy where x ≤ 0 (the per-element slope gradient),
// which the sum kernel then reduces to one value per slope.
struct Params { n: u32, C: u32, plane: u32, per_channel: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> slope: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read_write> dslope_terms: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  for (var i = flat_id(wg, groups, li, 256u); i < p.n; i += grid_stride(groups, 256u)) {
    let a = slope[select(0u, (i / p.plane) % p.C, p.per_channel != 0u)];
    let v = x[i];
    let g = dy[i];
    let positive = v > 0.0;
    dx[i] = select(a * g, g, positive);
    dslope_terms[i] = select(v * g, 0.0, positive);
  }
}
