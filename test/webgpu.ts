// Shared by test files that need WebGPU: in CI (CI=true) the GPU tests always run, so a missing adapter
// fails them; elsewhere the adapter is probed once and the tests are skipped with the reason printed.
import { HOW_TO_GET_WEBGPU, requestGpuDevice } from "../engine/webgpu/device.ts";

export const IN_CI = process.env.CI === "true";

/** false (with a printed reason) only off CI on a machine without a usable adapter */
export async function haveWebGpu(what: string): Promise<boolean> {
  if (IN_CI) return true;
  const found = await requestGpuDevice();
  if ("reason" in found) {
    console.warn(`SKIPPING ${what}: WebGPU is not available (${found.reason}); ${HOW_TO_GET_WEBGPU}. With CI=true this fails instead.`);
    return false;
  }
  found.device.destroy();
  return true;
}
