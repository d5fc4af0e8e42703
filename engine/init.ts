// Choosing a backend: "webgpu" insists on a real adapter, "cpu" takes the reference backend, and "auto"
// prefers WebGPU and falls back to the CPU with a one-line notice saying how to get WebGPU.

import type { Backend } from "./backend.ts";
import { setDefaultBackend } from "./context.ts";
import { CpuBackend } from "./cpu/backend.ts";
import { HOW_TO_GET_WEBGPU } from "./webgpu/device.ts";

export type BackendChoice = "webgpu" | "cpu" | "auto";

export interface InitOptions {
  backend?: BackendChoice;
  /** make this the default backend for new tensors (true unless said otherwise) */
  setDefault?: boolean;
  /** where the fallback notice goes; silent when null */
  log?: ((line: string) => void) | null;
  /** a WebGPU entry point from the host (`navigator.gpu`, or the `webgpu` package's `create([])` under Node) */
  gpu?: GPU;
}

export async function createBackend(choice: BackendChoice = "auto", log: ((line: string) => void) | null = console.warn, gpu?: GPU): Promise<Backend> {
  if (choice === "cpu") return new CpuBackend("float32");
  if (choice !== "webgpu" && choice !== "auto") throw new Error(`unknown backend "${choice}": use webgpu, cpu or auto`);
  const { WebGpuBackend } = await import("./webgpu/backend.ts");
  try {
    return await WebGpuBackend.create(gpu);
  } catch (e) {
    if (choice === "webgpu") throw e;
    log?.(`note: ${(e as Error).message.replace(`; ${HOW_TO_GET_WEBGPU}`, "")}; using the CPU backend. For WebGPU: ${HOW_TO_GET_WEBGPU}.`);
    return new CpuBackend("float32");
  }
}

/** Creates the backend and makes it the default for new tensors. */
export async function init(opts: InitOptions = {}): Promise<Backend> {
  const backend = await createBackend(opts.backend ?? "auto", opts.log === undefined ? console.warn : opts.log, opts.gpu);
  if (opts.setDefault ?? true) setDefaultBackend(backend);
  return backend;
}
