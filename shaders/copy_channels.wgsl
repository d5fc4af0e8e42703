// Copies a block of channels between two [N, C, H, W] tensors of the same N, H and W: per batch item b, the run
// of p.run elements at b·p.src_item + p.src_offset of src goes to b·p.dst_item + p.dst_offset of dst. A channel
// concatenation is one dispatch per input into one output, a channel slice one dispatch. Elements are of type T:
// f32, or vec4f when the planes are whole vec4s (engine/webgpu/kernels/element-type.ts); counts are in T.
struct Params { items: u32, run: u32, src_item: u32, src_offset: u32, dst_item: u32, dst_offset: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<T>;
@group(0) @binding(2) var<storage, read_write> dst: array<T>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  // the batch loop outside, so no element needs an integer division to find its item
  for (var b = 0u; b < p.items; b++) {
    let src_at = b * p.src_item + p.src_offset;
    let dst_at = b * p.dst_item + p.dst_offset;
    for (var i = flat_id(wg, groups, li, 256u); i < p.run; i += grid_stride(groups, 256u)) {
      dst[dst_at + i] = src[src_at + i];
    }
  }
}
