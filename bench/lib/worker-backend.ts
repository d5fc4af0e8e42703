// The backend an engine bench worker runs on (--backend webgpu|cpu), and the first JSON line it prints about it.
// Shared by bench/engine_bench.ts and bench/lib/students-worker.ts.

import type { Backend } from "../../engine/index.ts";

export interface WorkerBackend {
  be: Backend;
  description: string;
  destroy(): void;
}

export async function openWorkerBackend(name: string): Promise<WorkerBackend> {
  if (name === "webgpu") {
    const { WebGpuBackend } = await import("../../engine/webgpu/backend.ts");
    const gpu = await WebGpuBackend.create();
    return { be: gpu, description: gpu.description, destroy: () => gpu.destroy() };
  }
  if (name === "cpu") {
    const { CpuBackend } = await import("../../engine/cpu/backend.ts");
    return { be: new CpuBackend("float32"), description: "CpuBackend float32 (single-threaded reference)", destroy: () => {} };
  }
  throw new Error(`--backend: unknown "${name}" (webgpu, cpu)`);
}

/** Prints one JSON line; the first says which implementation and adapter the lines after it come from. */
export const emit = (o: Record<string, unknown>) => console.log(JSON.stringify(o));

export function emitMeta(backend: string, description: string): void {
  emit({ meta: true, impl: "engine", backend, adapter: description, bun: Bun.version });
}
