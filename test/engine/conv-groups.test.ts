// Grouped conv2d at the level of the tensor API: a grouped conv is the groups' own convs side by side (PyTorch's
// channel order), nn.Conv2d's `groups` (weight shape and PyTorch's initialisation), and the errors for groups that
// do not fit. Values and gradients against PyTorch are in golden.test.ts, finite differences in gradcheck.test.ts,
// WebGPU against the CPU in ops-gpu.test.ts and backend-agreement.test.ts.

import { describe, expect, test } from "bun:test";
import { concat, conv2d, CpuBackend, narrow, nn, Rng, type Tensor, tensor } from "../../engine/index.ts";
import { Rng as DataRng } from "./util.ts";

const be = new CpuBackend("float64");
const data = new DataRng(515);
const randn = (shape: number[]): Tensor => tensor(data.normals(shape.reduce((a, b) => a * b, 1)), shape, { backend: be });

describe("grouped conv2d", () => {
  test("is each group's own conv, their outputs concatenated in group order (depthwise included)", async () => {
    for (const [C, O, groups] of [[6, 4, 2], [8, 12, 4], [5, 10, 5]]) {
      const [Cg, Og] = [C / groups, O / groups];
      const x = randn([2, C, 7, 6]), w = randn([O, Cg, 3, 2]), b = randn([O]);
      const opts = { stride: [2, 1] as [number, number], padding: [1, 2] as [number, number] };
      // group q: input channels q·Cg …, weight rows and bias entries q·Og … (narrow slices dimension 1)
      const parts = Array.from({ length: groups }, (_, q) => {
        const wq = narrow(w.reshape([1, O, Cg * 3, 2]), 1, q * Og, Og).reshape([Og, Cg, 3, 2]);
        return conv2d(narrow(x, 1, q * Cg, Cg), wq, narrow(b.reshape([1, O]), 1, q * Og, Og).reshape([Og]), opts);
      });
      // the same sums in the same order: equal, not merely close
      expect(await conv2d(x, w, b, { ...opts, groups }).toArray()).toEqual(await concat(parts).toArray());
    }
  });

  test("refuses groups that are not positive integers, or do not divide the channels, and a weight that does not match", () => {
    const x = randn([1, 6, 5, 5]);
    for (const groups of [0, -2, 1.5, NaN]) expect(() => conv2d(x, randn([6, 3, 3, 3]), null, { groups })).toThrow(`conv2d: groups must be a positive integer, got ${groups}`);
    expect(() => conv2d(x, randn([6, 1, 3, 3]), null, { groups: 4 })).toThrow("conv2d: 6 input channels are not a multiple of groups = 4");
    expect(() => conv2d(x, randn([5, 2, 3, 3]), null, { groups: 3 })).toThrow("conv2d: 5 output channels are not a multiple of groups = 3");
    expect(() => conv2d(x, randn([6, 3, 3, 3]), null, { groups: 3 })).toThrow(
      "conv2d: weight [6,3,3,3] expects 9 input channels (3 per group × 3 groups), input [1,6,5,5] has 6",
    );
    expect(() => conv2d(x, randn([6, 6, 3, 3]), null, { groups: 1 })).not.toThrow();
    expect(() => conv2d(x, randn([6, 2, 3, 3]), randn([3]), { groups: 3 })).toThrow("conv2d: bias must be [6], got [3]");
  });
});

describe("nn.Conv2d with groups", () => {
  test("weight [out, in / groups, kh, kw], initialised as PyTorch's (fan_in = in / groups · kh · kw)", async () => {
    const conv = new nn.Conv2d(8, 12, [3, 2], { groups: 4, backend: be, rng: new Rng(3) });
    expect(conv.weight.shape).toEqual([12, 2, 3, 2]);
    const rng = new Rng(3);
    expect(await conv.weight.toArray()).toEqual(nn.init.uniformFanIn(rng, 144, 12));
    expect(await conv.bias!.toArray()).toEqual(nn.init.uniformFanIn(rng, 12, 12));
    expect(conv.forward(randn([2, 8, 5, 4])).shape).toEqual([2, 12, 3, 3]);
  });
  test("refuses groups that do not divide both channel counts", () => {
    expect(() => new nn.Conv2d(6, 8, 3, { groups: 4, backend: be })).toThrow("Conv2d: 6 input channels are not a multiple of groups = 4");
    expect(() => new nn.Conv2d(8, 6, 3, { groups: 4, backend: be })).toThrow("Conv2d: 6 output channels are not a multiple of groups = 4");
    expect(() => new nn.Conv2d(8, 8, 3, { groups: 0, backend: be })).toThrow("Conv2d: groups must be a positive integer, got 0");
  });
});
