// Minimal reproduction for engine/webgpu/calm-polling.ts: while a buffer map is pending, bun-webgpu 0.1.7 polls Dawn
// from a setImmediate loop, so the JS thread stays busy for the whole wait. On a CPU adapter (lavapipe) that is a
// core the adapter computes on. One long kernel, then a read of its result; prints the main thread's CPU time over
// the wait as JSON (Linux: /proc/self/task/<pid>/stat).
//
//   npx bun scripts/repro/bun-webgpu-busy-wait.ts          # bun-webgpu's loop: the thread is busy ≈ all the wait
//   npx bun scripts/repro/bun-webgpu-busy-wait.ts --calm   # polled from a 1 ms timer: a few % of it
//
// test/engine/calm-polling.test.ts runs it both ways.
import { setupGlobals } from "bun-webgpu";
import { pollCalmly } from "../../engine/webgpu/calm-polling.ts";
import { mainThreadCpuSeconds } from "./main-thread-cpu.ts";

await setupGlobals();
const adapter = await navigator.gpu.requestAdapter();
if (!adapter) throw new Error("no WebGPU adapter");
const device = await adapter.requestDevice();
if (process.argv.includes("--calm") && !pollCalmly(device)) throw new Error("bun-webgpu's instance ticker was not found");

// each of 64 × 64 invocations runs a dependent chain of multiply-adds: about half a second on lavapipe
const code = `@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
  var v = f32(id.x);
  for (var i = 0u; i < 600000u; i++) { v = v * 0.999999 + 1e-6; }
  a[id.x] = v;
}`;
const pipeline = device.createComputePipeline({ layout: "auto", compute: { module: device.createShaderModule({ code }), entryPoint: "main" } });
const n = 64 * 64;
const buf = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
const staging = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }] });
const enc = device.createCommandEncoder();
const pass = enc.beginComputePass();
pass.setPipeline(pipeline);
pass.setBindGroup(0, group);
pass.dispatchWorkgroups(64);
pass.end();
enc.copyBufferToBuffer(buf, 0, staging, 0, n * 4);
device.queue.submit([enc.finish()]);

const [t0, c0] = [performance.now(), mainThreadCpuSeconds()];
await staging.mapAsync(GPUMapMode.READ);
const [wait, cpu] = [(performance.now() - t0) / 1000, mainThreadCpuSeconds() - c0];
const finite = new Float32Array(staging.getMappedRange()).every(Number.isFinite);
staging.unmap();
console.log(JSON.stringify({ calm: process.argv.includes("--calm"), wait_s: wait, main_thread_cpu_s: cpu, finite }));
device.destroy();
