// The backends every golden-fixture test of a whole model runs on: the CPU always, WebGPU when there is an
// adapter (required in CI: then a missing one fails the WebGPU tests instead of skipping them).
import { afterAll, beforeAll } from "bun:test";
import type { Backend } from "../../engine/backend.ts";
import { CpuBackend } from "../../engine/cpu/backend.ts";
import { WebGpuBackend } from "../../engine/webgpu/backend.ts";
import { haveWebGpu, IN_CI } from "../webgpu.ts";

export interface TestBackend {
  name: "cpu" | "webgpu";
  skip: boolean;
  get: () => Backend;
}

/** Registers the WebGPU backend's creation and teardown for this test file; `what` names the tests in messages. */
export async function goldenBackends(what: string): Promise<TestBackend[]> {
  const gpuSkip = !(await haveWebGpu(`${what} on WebGPU`));
  let gpu: WebGpuBackend | undefined;
  let gpuFailure: Error | undefined;
  beforeAll(async () => {
    if (gpuSkip) return;
    try {
      gpu = await WebGpuBackend.create();
    } catch (e) {
      gpuFailure = e as Error;
    }
  });
  afterAll(() => gpu?.destroy());
  const cpu = new CpuBackend("float32");
  return [
    { name: "cpu", skip: false, get: () => cpu },
    {
      name: "webgpu",
      skip: gpuSkip,
      get: () => {
        if (gpu) return gpu;
        throw new Error(`${what} need a WebGPU adapter${IN_CI ? " (required in CI)" : ""}: ${gpuFailure?.message ?? "backend was not created"}`);
      },
    },
  ];
}
