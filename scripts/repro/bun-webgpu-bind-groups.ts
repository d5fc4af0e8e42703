// Minimal reproduction for docs/bun-webgpu-leak.md: bun-webgpu 0.1.7 never releases the Dawn objects behind
// its wrappers, and on Mesa lavapipe the 65,537th live bind group segfaults the process.
//
//   npx bun scripts/repro/bun-webgpu-bind-groups.ts            # creates 100,000 bind groups: crashes near 65,536
//   npx bun scripts/repro/bun-webgpu-bind-groups.ts --release  # releases each one (GPUBindGroup.destroy()): still
//                                                              # crashes: Dawn recycles a released descriptor set
//                                                              # only once a later submit has completed
//   npx bun scripts/repro/bun-webgpu-bind-groups.ts --release --submit  # + an empty submit every 1000: completes
//   npx bun scripts/repro/bun-webgpu-bind-groups.ts --submit   # submits without releasing: crashes
//
// No dispatch or submit is needed: creating the bind groups is enough.
import { setupGlobals } from "bun-webgpu";

await setupGlobals();
const adapter = await navigator.gpu.requestAdapter();
if (!adapter) throw new Error("no WebGPU adapter");
const device = await adapter.requestDevice();
const release = process.argv.includes("--release");
const submit = process.argv.includes("--submit");
const module = device.createShaderModule({
  code: "@group(0) @binding(0) var<storage, read_write> a: array<f32>;\n@compute @workgroup_size(1) fn main() { a[0] = 1.0; }",
});
const pipeline = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
const layout = pipeline.getBindGroupLayout(0);
const buffer = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
console.log(`adapter: ${adapter.info.description || adapter.info.device}; ${release ? "releasing" : "keeping"} each bind group${submit ? ", an empty submit every 1000" : ""}`);
for (let n = 1; n <= 100_000; n++) {
  const group = device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer } }] });
  // bun-webgpu's non-standard GPUBindGroup.destroy() calls wgpuBindGroupRelease; nothing else ever does
  if (release) (group as unknown as { destroy(): void }).destroy();
  if (submit && n % 1000 === 0) {
    device.queue.submit([device.createCommandEncoder().finish()]);
    await device.queue.onSubmittedWorkDone();
  }
  if (n % 5000 === 0) console.log(`${n} bind groups created, RSS ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
}
console.log("done: 100,000 bind groups");
