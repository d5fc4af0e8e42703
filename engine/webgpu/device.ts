// Finding a real WebGPU adapter. bun-webgpu hands back an adapter called "null-backend" when no Vulkan driver
// exists; it accepts work and computes nothing, so we refuse it by name and, to be sure, by a tiny self-test.

import { pollCalmly } from "./calm-polling.ts";
import { keepingEncodedStrings } from "./ffi-strings.ts";

export const HOW_TO_GET_WEBGPU =
  "on Debian/Ubuntu run `sudo bash scripts/install-system-deps.sh` (Mesa lavapipe from bookworm-backports) or use a machine with a Vulkan/Metal/D3D12 GPU";

export interface GpuDevice {
  device: GPUDevice;
  adapterInfo: GPUAdapterInfo;
  description: string;
  /** a CPU implementation of WebGPU (lavapipe, SwiftShader): kernels launch fewer, longer workgroups there */
  software: boolean;
}

export function isSoftwareAdapter(info: GPUAdapterInfo): boolean {
  return info.architecture === "software" || /llvmpipe|lavapipe|swiftshader/i.test(`${info.device} ${info.description} ${info.architecture}`);
}

/** Navigator's gpu when it exists (browsers, Deno); under Bun, bun-webgpu's Dawn bindings. */
async function gpuEntry(): Promise<GPU | undefined> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (typeof (globalThis as { Bun?: unknown }).Bun === "undefined") return undefined;
  // A computed name keeps browser bundlers from pulling the native module in, and keeps its name out of
  // browser bundles altogether (web/build.ts fails a bundle that mentions it).
  const mod = ["bun", "webgpu"].join("-");
  const { setupGlobals } = (await import(mod)) as { setupGlobals: () => Promise<void> | void };
  await setupGlobals();
  return (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
}

/** Dawn's placeholder adapter ("null-backend"), which accepts work and computes nothing. */
export function isNullAdapter(info: Pick<GPUAdapterInfo, "device" | "description">): boolean {
  return /null/i.test(`${info.device} ${info.description}`);
}

/** Every numeric limit the adapter offers, so buffers up to the device's maximum are allowed. */
function maximalLimits(adapter: GPUAdapter): Record<string, number> {
  const limits: Record<string, number> = {};
  const src = adapter.limits as unknown as Record<string, unknown>;
  for (const key in src) {
    const v = src[key];
    if (typeof v === "number" && key !== "nextInChain") limits[key] = v;
  }
  return limits;
}

const DEVICE_ATTEMPTS = 3;

/** A device with every limit and the timestamp feature where the adapter has them; null when none comes back. */
async function openDevice(adapter: GPUAdapter): Promise<GPUDevice | null> {
  try {
    // timestamps let the runtime profile kernels, subgroups let conv lanes share weights: ask where offered
    const requiredFeatures = (["timestamp-query", "subgroups"] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
    return (await adapter.requestDevice({ requiredLimits: maximalLimits(adapter), requiredFeatures } as GPUDeviceDescriptor)) ?? null;
  } catch {
    // some implementations reject limits they report; defaults still work
    return (await adapter.requestDevice().catch(() => null)) ?? null;
  }
}

/**
 * Returns a usable device, or a reason why there is none. `provided`: a GPU object the host supplies (e.g.
 * `navigator.gpu`, or `create([])` of the `webgpu` package under Node); otherwise the runtime's own.
 */
export async function requestGpuDevice(provided?: GPU): Promise<GpuDevice | { reason: string }> {
  let gpu: GPU | undefined = provided;
  try {
    gpu ??= await gpuEntry();
  } catch (e) {
    return { reason: `WebGPU bindings failed to load (${(e as Error).message})` };
  }
  if (!gpu) return { reason: "this runtime exposes no WebGPU (under Node, hand one over: createUpscaler({ gpu }) or init({ gpu }), e.g. from the `webgpu` package)" };
  // Creating a device can fail once in a while (seen once in the main job, whose stages open five devices one
  // after another): bun-webgpu then rejects, and asked again, the adapter it now holds invalid answers with no
  // device at all. Wait a moment and try again with a fresh adapter.
  let adapter: GPUAdapter | null = null;
  let device: GPUDevice | null = null;
  for (let attempt = 0; attempt < DEVICE_ATTEMPTS && !device; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * attempt));
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    if (!adapter) return { reason: "no WebGPU adapter found" };
    const info = adapter.info;
    if (isNullAdapter(info)) return { reason: `the only adapter is Dawn's "${info.device}", which computes nothing (no Vulkan driver)` };
    device = await openDevice(adapter);
  }
  if (!adapter || !device) return { reason: `the adapter returned no device (${DEVICE_ATTEMPTS} attempts)` };
  const info = adapter.info;
  if (!(await selfTest(device))) {
    device.destroy();
    return { reason: `adapter "${info.description || info.device}" failed a compute self-test` };
  }
  const description = [info.description || info.device, info.architecture, info.vendor].filter(Boolean).join(", ");
  const software = isSoftwareAdapter(info);
  // a CPU adapter computes on the cores that bun-webgpu's waiting loop would keep busy (calm-polling.ts)
  if (software) pollCalmly(device);
  return { device, adapterInfo: info, description, software };
}

/** Doubles four numbers on the device and checks the answer. */
async function selfTest(device: GPUDevice): Promise<boolean> {
  const code = `@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@compute @workgroup_size(4) fn main(@builtin(local_invocation_index) i: u32) { a[i] = a[i] * 2.0; }`;
  const pipeline = keepingEncodedStrings(() =>
    device.createComputePipeline({ layout: "auto", compute: { module: device.createShaderModule({ code }), entryPoint: "main" } })
  );
  const buf = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const staging = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buf, 0, new Float32Array([1, 2, 3, 4]));
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }] }));
  pass.dispatchWorkgroups(1);
  pass.end();
  enc.copyBufferToBuffer(buf, 0, staging, 0, 16);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  buf.destroy();
  staging.destroy();
  return out.join() === "2,4,6,8";
}
