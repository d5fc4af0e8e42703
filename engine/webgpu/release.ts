// Releasing the Dawn objects that bun-webgpu never frees.
//
// Browsers (and dawn.node) drop a WebGPU object's native reference when the JS wrapper is garbage-collected.
// bun-webgpu 0.1.7 has no finalisers: every bind group, compute pass and command buffer stays alive in Dawn
// until its reference is released by hand. On lavapipe the 65,537th live bind group segfaults the process
// (one per dispatch: FSRCNN training died at step 745, the teacher at 476; docs/bun-webgpu-leak.md has the
// reproduction). bun-webgpu exposes the release calls under non-standard names, so we reach them by the
// wrapper's brand; for any other implementation this does nothing and the garbage collector does the work.
//
// The version is pinned in package.json: a binding that learned to release on its own would be released
// twice here.

interface BunWebGpuHandle {
  __brand?: string;
  ptr?: unknown;
  destroy?: () => void;
  _destroy?: () => void;
  lib?: { wgpuComputePassEncoderRelease?: (ptr: unknown) => void };
}

/** Drops our reference to a bind group, an ended compute pass or a submitted command buffer. */
export function releaseHandle(handle: object): void {
  const h = handle as BunWebGpuHandle;
  switch (h.__brand) {
    case "GPUBindGroup": // bun-webgpu's GPUBindGroup.destroy() is wgpuBindGroupRelease
      h.destroy?.();
      break;
    case "GPUCommandBuffer":
      h._destroy?.();
      break;
    case "GPUComputePassEncoder":
      h.lib?.wgpuComputePassEncoderRelease?.(h.ptr);
      break;
  }
}
