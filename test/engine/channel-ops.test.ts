// pixelShuffle, concat and narrow at the level of the tensor API: PyTorch's element order on a hand-worked example,
// result shapes for every accepted rank, the errors for what they refuse (only dim 1 is supported), and no storage
// left behind by their backward passes. Values and gradients against PyTorch are in golden.test.ts, finite
// differences in gradcheck.test.ts, WebGPU against the CPU in ops-gpu.test.ts and backend-agreement.test.ts.

import { describe, expect, test } from "bun:test";
import { concat, CpuBackend, narrow, pixelShuffle, sum, type Tensor, tensor, tidy } from "../../engine/index.ts";

const be = new CpuBackend("float32");
const arange = (shape: number[], requiresGrad = false): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Array.from({ length: n }, (_, i) => i), shape, { backend: be, requiresGrad });
};

describe("pixelShuffle", () => {
  test("PyTorch's order: out[n, c, h·r + i, w·r + j] = x[n, c·r² + i·r + j, h, w]", async () => {
    // x[0, k, 0, w] = 2k + w: channel k = 2i + j lands at row i, column 2w + j
    const y = pixelShuffle(arange([1, 4, 1, 2]), 2);
    expect(y.shape).toEqual([1, 1, 2, 4]);
    expect(Array.from(await y.data())).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
  });
  test("shapes: rank 4 and rank 3", () => {
    expect(pixelShuffle(arange([2, 18, 3, 5]), 3).shape).toEqual([2, 2, 9, 15]);
    expect(pixelShuffle(arange([8, 3, 2]), 2).shape).toEqual([2, 6, 4]);
  });
  test("refuses channels that are not a multiple of r², a factor that is not a positive integer, and rank < 3", () => {
    expect(() => pixelShuffle(arange([1, 6, 2, 2]), 2)).toThrow("6 channels of input [1,6,2,2] are not a multiple of r² = 4");
    for (const r of [0, 1.5, -2]) expect(() => pixelShuffle(arange([1, 4, 2, 2]), r)).toThrow("upscale factor must be a positive integer");
    expect(() => pixelShuffle(arange([4, 2]), 2)).toThrow("input must be [N, C, H, W] or [C, H, W]");
  });
});

describe("concat along channels", () => {
  test("joins per batch item, in order", async () => {
    const a = tensor([1, 2, 3, 4], [2, 1, 2, 1], { backend: be }), b = tensor([5, 6, 7, 8, 9, 10, 11, 12], [2, 2, 2, 1], { backend: be });
    const y = concat([a, b]);
    expect(y.shape).toEqual([2, 3, 2, 1]);
    expect(Array.from(await y.data())).toEqual([1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12]);
  });
  test("shapes: rank 2, 3 and 4, dim 1 or its negative equivalent", () => {
    expect(concat([arange([3, 2]), arange([3, 4])], -1).shape).toEqual([3, 6]);
    expect(concat([arange([2, 1, 5]), arange([2, 3, 5])], -2).shape).toEqual([2, 4, 5]);
    expect(concat([arange([1, 2, 3, 4])], -3).shape).toEqual([1, 2, 3, 4]);
  });
  test("refuses other dimensions, mismatched shapes, no inputs, and rank 1", () => {
    expect(() => concat([arange([1, 2, 3, 4]), arange([1, 2, 3, 4])], 0)).toThrow("only dim 1 (channels) is supported, got dim 0");
    expect(() => concat([arange([1, 2, 3, 4]), arange([1, 2, 3, 4])], 3)).toThrow("only dim 1 (channels) is supported");
    expect(() => concat([arange([1, 2, 3, 4]), arange([1, 2, 3, 5])])).toThrow("shapes [1,2,3,4] and [1,2,3,5] differ outside dimension 1");
    expect(() => concat([arange([1, 2, 3, 4]), arange([2, 3, 4])])).toThrow("differ outside dimension 1");
    expect(() => concat([])).toThrow("no tensors");
    expect(() => concat([arange([3]), arange([3])])).toThrow("has no channel dimension");
  });
  test("refuses tensors on different backends", () => {
    const other = tensor([1, 2], [1, 2], { backend: new CpuBackend("float64") });
    expect(() => concat([arange([1, 2]), other])).toThrow("inputs live on different backends");
  });
});

describe("narrow along channels", () => {
  test("cuts per batch item", async () => {
    const y = narrow(arange([2, 3, 1, 2]), 1, 1, 2);
    expect(y.shape).toEqual([2, 2, 1, 2]);
    expect(Array.from(await y.data())).toEqual([2, 3, 4, 5, 8, 9, 10, 11]);
  });
  test("refuses other dimensions and ranges outside the channels", () => {
    expect(() => narrow(arange([1, 4, 2, 2]), 2, 0, 1)).toThrow("only dim 1 (channels) is supported, got dim 2");
    for (const [start, length] of [[3, 2], [-1, 2], [0, 0], [0.5, 1]]) {
      expect(() => narrow(arange([1, 4, 2, 2]), 1, start!, length!)).toThrow("not within the 4 of input [1,4,2,2]");
    }
  });
});

test("forward and backward of all three leave no storage behind once their tensors are disposed", async () => {
  const live = be.memory().live;
  const x = arange([2, 8, 3, 3], true);
  tidy(() => {
    const parts = [narrow(x, 1, 0, 4), narrow(x, 1, 2, 4), narrow(x, 1, 4, 4)];
    sum(pixelShuffle(concat(parts), 2)).backward();
  });
  // channels 0–1 and 6–7 reach the loss once, channels 2–5 twice
  const g = await x.grad!.data();
  for (let c = 0; c < 8; c++) expect(g[9 * c], `gradient of channel ${c}`).toBe(c >= 2 && c < 6 ? 2 : 1);
  x.dispose();
  expect(be.memory().live, "live storages").toBe(live);
});
