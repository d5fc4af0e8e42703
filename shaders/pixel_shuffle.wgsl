// Pixel shuffle in PyTorch's channel order (entry point `shuffle`) and its inverse (`unshuffle`): element
// [n, c·r² + i·r + j, h, w] of the [N, C·r², H, W] layout is element [n, c, h·r + i, w·r + j] of the
// [N, C, H·r, W·r] one. Both walk the indices u of the first layout: `shuffle` reads x there, `unshuffle` writes
// y there. A permutation, so every output element is written exactly once. H and W are the first layout's.
struct Params { n: u32, r: u32, H: u32, W: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// The index in the [N, C, H·r, W·r] layout of element u of the [N, C·r², H, W] one.
fn shuffled(u: u32) -> u32 {
  let w = u % p.W;
  var t = u / p.W;
  let h = t % p.H;
  t /= p.H;
  let j = t % p.r;
  t /= p.r;
  let i = t % p.r;
  let nc = t / p.r;
  return ((nc * p.H + h) * p.r + i) * p.W * p.r + w * p.r + j;
}

@compute @workgroup_size(256)
fn shuffle(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  for (var u = flat_id(wg, groups, li, 256u); u < p.n; u += grid_stride(groups, 256u)) {
    y[shuffled(u)] = x[u];
  }
}

@compute @workgroup_size(256)
fn unshuffle(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  for (var u = flat_id(wg, groups, li, 256u); u < p.n; u += grid_stride(groups, 256u)) {
    y[u] = x[shuffled(u)];
  }
}
