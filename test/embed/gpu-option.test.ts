// createUpscaler({ gpu }): the host may hand over its WebGPU entry point (Node has none of its own). The one
// given is the one used: a GPU object without adapters makes "webgpu" fail and "auto" fall back, saying why.
import { expect, test } from "bun:test";
import { createUpscaler } from "../../embed/index.ts";
import { randomWeights } from "../../embed/weights.ts";

const noAdapters = { requestAdapter: async () => null, getPreferredCanvasFormat: () => "rgba8unorm", wgslLanguageFeatures: new Set() } as unknown as GPU;

test("a supplied GPU object without adapters: webgpu fails, auto falls back to the CPU naming the reason", async () => {
  const weights = await randomWeights(2, { seed: 4 });
  await expect(createUpscaler({ weights, backend: "webgpu", gpu: noAdapters })).rejects.toThrow("no WebGPU adapter found");
  const sr = await createUpscaler({ weights, backend: "auto", gpu: noAdapters });
  expect(sr.backend.name).toBe("cpu");
  expect(sr.backend.fallbackReason).toContain("no WebGPU adapter found");
  sr.dispose();
});
