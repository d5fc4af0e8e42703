// Prepended to every kernel. Large 1-D launches are folded into a 2-D grid of workgroups
// (65535 per dimension at most); this recovers the flat index.
fn flat_id(wg: vec3u, groups: vec3u, local: u32, size: u32) -> u32 {
  return (wg.y * groups.x + wg.x) * size + local;
}
