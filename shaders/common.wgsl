// Prepended to every kernel. Large 1-D launches are folded into a 2-D grid of workgroups
// (65535 per dimension at most); this recovers the flat index.
fn flat_id(wg: vec3u, groups: vec3u, local: u32, size: u32) -> u32 {
  return (wg.y * groups.x + wg.x) * size + local;
}

// Elementwise kernels loop over their range with this stride, so a capped number of workgroups covers any
// length: on CPU implementations (lavapipe) each workgroup has a fixed cost of about a microsecond.
fn grid_stride(groups: vec3u, size: u32) -> u32 {
  return groups.x * groups.y * size;
}
