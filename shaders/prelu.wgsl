// y = x for x > 0, else slope·x. x is walked as p.planes runs of p.plane elements (the last may be short),
// run k using slope[k mod p.C]: per channel, a run is one [H, W] plane; with one shared slope, C = 1 and the runs
// are chunks. The slope index comes from a division per run, not per element (integer division is
// scalarised on CPU implementations). Elements are of type T: f32, or vec4f when every run is a whole number of
// them (engine/webgpu/kernels/element-type.ts); counts are in T. THREADS, the workgroup size, is the host's
// (engine/webgpu/kernels/prelu.ts).
struct Params { n: u32, planes: u32, C: u32, plane: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read> slope: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<T>;

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  for (var k = wg.y * groups.x + wg.x; k < p.planes; k += groups.x * groups.y) {
    let a = slope[k % p.C];
    let base = k * p.plane;
    let end = min(p.n, base + p.plane);
    for (var i = base + li; i < end; i += THREADS) {
      let v = x[i];
      y[i] = select(a * v, v, v > T(0.0));
    }
  }
}
