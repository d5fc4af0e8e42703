// The runtime's kernel profiler: GPU timestamps per dispatch, summed by kernel key.
import { expect, test } from "bun:test";
import { webGpuForFile } from "./util.ts";

const gpuFile = await webGpuForFile("kernel profiler");

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
  expect(byKey.get("unary")?.count).toBe(2);
  const conv = rows.find((r) => r.key.startsWith("conv2d/"));
  expect(conv?.count).toBe(1);
  for (const r of rows) expect(r.ms).toBeGreaterThan(0);
  await expect(be.rt.stopProfiling()).rejects.toThrow("not profiling");
  for (const s of [x, w, y1, y2, y3]) be.release(s);
});
