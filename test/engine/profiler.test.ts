// The runtime's kernel profiler: GPU timestamps per dispatch, summed by kernel key.
import { expect, test } from "bun:test";
import type { Storage } from "../../engine/backend.ts";
import type { WebGpuBackend } from "../../engine/webgpu/backend.ts";
import { webGpuForFile } from "./util.ts";

const gpuFile = await webGpuForFile("kernel profiler");

/**
 * The kernel keys that `run` dispatches, profiled: the last storage it returns is read back (so every dispatch
 * has run), then all of them are released.
 */
async function kernelKeys(be: WebGpuBackend, run: () => Storage[]): Promise<string[]> {
  be.rt.startProfiling();
  const made = run();
  await be.read(made[made.length - 1]);
  const keys = (await be.rt.stopProfiling()).map((r) => r.key);
  for (const s of made) be.release(s);
  return keys;
}

/** The kernel keys `run` dispatches with the device's subgroups, then with them switched off (subgroupMinSize 0). */
async function keysWithAndWithoutSubgroups(be: WebGpuBackend, run: () => Storage[]): Promise<{ lanes: number; withLanes: string[]; without: string[] }> {
  const lanes = be.rt.subgroupMinSize;
  const withLanes = await kernelKeys(be, run);
  be.rt.subgroupMinSize = 0;
  const without = await kernelKeys(be, run).finally(() => (be.rt.subgroupMinSize = lanes));
  return { lanes, withLanes, without };
}

test.skipIf(gpuFile.skip)("profiling reports every dispatched kernel with its count and a positive time, and results stay correct", async () => {
  const be = gpuFile.gpu();
  const x = be.upload(Float32Array.from({ length: 2 * 3 * 17 * 19 }, (_, i) => Math.sin(i)));
  const w = be.upload(Float32Array.from({ length: 4 * 3 * 3 * 3 }, (_, i) => Math.cos(i)));
  const g = { stride: [1, 1] as const, padding: [1, 1] as const };
  const plain = await be.read(be.conv2d(x, [2, 3, 17, 19], w, [4, 3, 3, 3], null, g));
  be.rt.startProfiling();
  const y1 = be.conv2d(x, [2, 3, 17, 19], w, [4, 3, 3, 3], null, g);
  const y2 = be.unary("abs", y1);
  const y3 = be.unary("neg", y2);
  const profiled = await be.read(y1);
  const rows = await be.rt.stopProfiling();
  expect(Array.from(profiled)).toEqual(Array.from(plain));
  const byKey = new Map(rows.map((r) => [r.key, r]));
  // one pipeline per unary op, so each op is timed under its own key
  expect(byKey.get("unary/abs")?.count).toBe(1);
  expect(byKey.get("unary/neg")?.count).toBe(1);
  const conv = rows.find((r) => r.key.startsWith("conv2d/"));
  expect(conv?.count).toBe(1);
  for (const r of rows) expect(r.ms).toBeGreaterThan(0);
  await expect(be.rt.stopProfiling()).rejects.toThrow("not profiling");
  for (const s of [x, w, y1, y2, y3]) be.release(s);
});

// The vec4 kernels are a speed path only (the agreement tests check their results): this guards against a
// change that quietly sends aligned rows back to the scalar kernels, or unaligned rows to the vec4 ones.
test.skipIf(gpuFile.skip)("rows a multiple of 4 wide take the vec4 kernels (conv windows and stores, weight gradient, PReLU, sums); other widths the scalar ones", async () => {
  const be = gpuFile.gpu();
  const g = { stride: [1, 1] as const, padding: [1, 1] as const };
  const keysFor = async (W: number): Promise<string[]> => {
    const x = be.upload(new Float32Array(2 * 3 * 9 * W).fill(0.5));
    const w = be.upload(new Float32Array(4 * 3 * 3 * 3).fill(0.25));
    const keys = await kernelKeys(be, () => {
      const y = be.conv2d(x, [2, 3, 9, W], w, [4, 3, 3, 3], null, g);
      const dx = be.convTranspose2d(y, [2, 4, 9, W], w, [4, 3, 3, 3], null, { stride: [2, 2], padding: [1, 1] }, [17, 2 * W - 1]);
      const dw = be.conv2dWeightGrad(x, [2, 3, 9, W], y, [2, 4, 9, W], [3, 3], g);
      // per-channel slopes: runs of one [9, W] plane each; and a bias gradient's sum, runs of 9·W
      const slopes = be.upload([0.1, 0.2, 0.3, 0.4]);
      const z = be.prelu(y, [2, 4, 9, W], slopes, true);
      const db = be.sum(y, [2, 4, 9, W], [true, false, true, true], 1);
      return [y, dx, dw, slopes, z, db];
    });
    for (const s of [x, w]) be.release(s);
    return keys.sort();
  };
  const aligned = await keysFor(16);
  expect(aligned.filter((k) => k.startsWith("conv2d/") && k.includes("/in4") && k.includes("/out4"))).toHaveLength(1);
  // the stride-2 transposed conv: one dispatch per window lead (residues 0 and 1 start their windows differently)
  const transposed = aligned.filter((k) => k.startsWith("conv_transpose2d/"));
  expect(transposed).toHaveLength(2);
  for (const k of transposed) expect(k).toContain("/in4");
  expect(aligned.filter((k) => k.startsWith("conv2d_weight_grad_vec4/"))).toHaveLength(1);
  expect(aligned.filter((k) => k === "prelu/vec4" || k === "sum_outer_inner/vec4")).toHaveLength(2);
  const unaligned = await keysFor(15);
  expect(unaligned.filter((k) => k.includes("/in4") || k.includes("/out4") || k.includes("vec4"))).toEqual([]);
  expect(unaligned.filter((k) => k.startsWith("conv2d_weight_grad/"))).toHaveLength(1);
});

test.skipIf(gpuFile.skip)("a stride-1 transposed conv runs as the forward conv kernel with flipped weights; other strides as the transposed kernel", async () => {
  const be = gpuFile.gpu();
  const x = be.upload(new Float32Array(2 * 4 * 9 * 12).fill(0.5));
  const w = be.upload(new Float32Array(4 * 3 * 3 * 3).fill(0.25));
  const keysOf = (g: { stride: [number, number]; padding: [number, number] }, out: [number, number]) =>
    kernelKeys(be, () => [be.convTranspose2d(x, [2, 4, 9, 12], w, [4, 3, 3, 3], null, g, out)]);
  const stride1 = await keysOf({ stride: [1, 1], padding: [1, 1] }, [9, 12]);
  const stride1BigPadding = await keysOf({ stride: [1, 1], padding: [3, 0] }, [5, 14]); // P > K − 1
  const stride2 = await keysOf({ stride: [1, 2], padding: [1, 1] }, [9, 23]);
  for (const s of [x, w]) be.release(s);
  expect(stride1).toHaveLength(1);
  expect(stride1[0]).toStartWith("conv2d/");
  expect(stride1[0]).toContain("/flipped");
  for (const keys of [stride1BigPadding, stride2]) {
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k).toStartWith("conv_transpose2d/");
  }
});

test.skipIf(gpuFile.skip)("with subgroups, the forward conv's lanes share their weights (a /shared kernel); without, each loads its own", async () => {
  const be = gpuFile.gpu();
  const x = be.upload(new Float32Array(2 * 4 * 9 * 12).fill(0.5));
  const w = be.upload(new Float32Array(8 * 4 * 3 * 3).fill(0.25));
  const { lanes, withLanes: shared, without: own } = await keysWithAndWithoutSubgroups(be, () => [
    be.conv2d(x, [2, 4, 9, 12], w, [8, 4, 3, 3], null, { stride: [2, 2], padding: [1, 1] }),
  ]);
  for (const s of [x, w]) be.release(s);
  // lavapipe (CI's adapter) offers subgroups of 8
  if (be.description.includes("llvmpipe")) expect(lanes).toBe(8);
  expect(shared).toHaveLength(1);
  expect(shared[0]!.endsWith("/shared")).toBe(lanes > 0);
  expect(own).toHaveLength(1);
  expect(own[0]).not.toEndWith("/shared");
});

test.skipIf(gpuFile.skip)("with shared weights, a stride-1 conv to 12 channels takes all 12 per invocation (12 × 12 tiles); without, 6", async () => {
  const be = gpuFile.gpu();
  const x = be.upload(new Float32Array(2 * 12 * 5 * 24).fill(0.5));
  const w = be.upload(new Float32Array(12 * 12 * 3 * 3).fill(0.25));
  const { lanes, withLanes: shared, without: own } = await keysWithAndWithoutSubgroups(be, () => [
    be.conv2d(x, [2, 12, 5, 24], w, [12, 12, 3, 3], null, { stride: [1, 1], padding: [1, 1] }),
  ]);
  for (const s of [x, w]) be.release(s);
  expect(shared).toHaveLength(1);
  expect(shared[0]!.startsWith(lanes > 0 ? "conv2d/12x12/" : "conv2d/6x12/")).toBe(true);
  expect(own).toHaveLength(1);
  expect(own[0]).toStartWith("conv2d/6x12/");
});

test.skipIf(gpuFile.skip)("with subgroups of one size, a weight gradient on aligned rows walks each row with a whole subgroup, a lane for each input channel and kernel row; with too few of them to fill its lanes, the vec4 kernel", async () => {
  const be = gpuFile.gpu();
  const x = be.upload(new Float32Array(2 * 16 * 3 * 8).fill(0.5));
  const dy = be.upload(new Float32Array(2 * 16 * 3 * 8).fill(0.25));
  const g = { stride: [1, 1], padding: [0, 0] } as const;
  const { lanes, withLanes, without } = await keysWithAndWithoutSubgroups(be, () => [
    be.conv2dWeightGrad(x, [2, 16, 3, 8], dy, [2, 16, 3, 8], [1, 1], g),
    be.conv2dWeightGrad(x, [2, 4, 3, 8], dy, [2, 16, 3, 8], [1, 1], g), // 4 channels × 1 kernel row: half the lanes idle
  ]);
  for (const s of [x, dy]) be.release(s);
  const fixedSize = lanes > 0 && lanes === be.rt.subgroupMaxSize && 64 % lanes === 0 && lanes <= 16;
  expect(withLanes.filter((k) => k.startsWith("conv2d_weight_grad_lanes/"))).toHaveLength(fixedSize ? 1 : 0);
  expect(withLanes.filter((k) => k.startsWith("conv2d_weight_grad_vec4/"))).toEqual(["conv2d_weight_grad_vec4/q2/8x4/k1x1s1x1p0x0"]);
  expect(without).toEqual(["conv2d_weight_grad_vec4/q2/8x4/k1x1s1x1p0x0"]); // both: the profile has a row per kernel
});

test.skipIf(gpuFile.skip)("FSRCNN's ×4 layer (one output channel, stride 4) reads its weights regrouped by phase: one packing kernel, then the packed transposed conv", async () => {
  const be = gpuFile.gpu();
  const x = be.upload(new Float32Array(2 * 6 * 5 * 8).fill(0.5));
  const w = be.upload(new Float32Array(6 * 1 * 9 * 9).fill(0.25));
  const keys = await kernelKeys(be, () => [be.convTranspose2d(x, [2, 6, 5, 8], w, [6, 1, 9, 9], null, { stride: [4, 4], padding: [4, 4] }, [20, 32])]);
  for (const s of [x, w]) be.release(s);
  expect(keys.filter((k) => k.startsWith("phase_weights/"))).toHaveLength(1);
  expect(keys.filter((k) => k.startsWith("conv_transpose2d/") && k.endsWith("/packed"))).toHaveLength(1);
});

test.skipIf(gpuFile.skip)("the forward and transposed convs number their items over the whole batch: a batch of LR patches leaves at most one workgroup per channel block part-empty", async () => {
  const be = gpuFile.gpu();
  // FSRCNN's mapping layer at LR 24 (48 items an image: a workgroup per image left 16 of its 64 lanes idle) and its
  // ×4 layer (288 items an image), batch 16
  const x = be.upload(Float32Array.from({ length: 16 * 12 * 24 * 24 }, (_, i) => Math.sin(i)));
  const w = be.upload(Float32Array.from({ length: 12 * 12 * 3 * 3 }, (_, i) => Math.cos(i)));
  const wt = be.upload(Float32Array.from({ length: 12 * 1 * 9 * 9 }, (_, i) => Math.cos(i)));
  const grids: { key: string; lanes: number; blocks: number }[] = [];
  const dispatch = be.rt.dispatch.bind(be.rt);
  be.rt.dispatch = (d) => {
    const [gx, gy, gz] = d.workgroups;
    grids.push({ key: d.key, lanes: gx * gy * gz * 64, blocks: gy });
    dispatch(d);
  };
  try {
    const y = be.conv2d(x, [16, 12, 24, 24], w, [12, 12, 3, 3], null, { stride: [1, 1], padding: [1, 1] });
    const z = be.convTranspose2d(x, [16, 12, 24, 24], wt, [12, 1, 9, 9], null, { stride: [4, 4], padding: [4, 4] }, [96, 96]);
    await be.read(z);
    for (const s of [y, z]) be.release(s);
  } finally {
    be.rt.dispatch = dispatch;
  }
  for (const s of [x, w, wt]) be.release(s);
  const conv = grids.filter((g) => g.key.startsWith("conv2d/"));
  const transposed = grids.filter((g) => g.key.startsWith("conv_transpose2d/"));
  expect(conv).toHaveLength(1);
  expect(transposed.length).toBeGreaterThan(0);
  // the columns (XT) of a kernel's tile, the second number of its key's OT×XT…
  const columnsOf = (g: { key: string }) => Number(g.key.split("/")[1]!.split("x")[1]);
  // items: 16 images × 24 rows × column blocks (the tile's XT divides 24), per output-channel block
  expect(conv[0]!.lanes).toBeLessThan(conv[0]!.blocks * (16 * 24 * (24 / columnsOf(conv[0]!)) + 64));
  for (const g of transposed) {
    // every residue's quotient block, 4 row phases × 24 rows each, over 16 images
    expect(g.lanes).toBeLessThan(g.blocks * (16 * 96 * Math.ceil(24 / columnsOf(g)) + 64));
  }
});
