// Tiled inference (infer/upscale.ts): stitching LR tiles with tileMargin(config) of context must give exactly the
// untiled forward pass, for tiles smaller than the margin, odd tiles that do not divide the image, the default
// tile, and deeper networks (m = 8) whose receptive field is wider; on the CPU backend and on WebGPU (required
// in CI, skipped with a message elsewhere). The margin is also no wider than the receptive radius + 1.

import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Backend } from "../../engine/backend.ts";
import { createBackend } from "../../engine/init.ts";
import { noGrad, Tensor, tidy } from "../../engine/index.ts";
import { haveWebGpu } from "../webgpu.ts";
import type { WebGpuBackend } from "../../engine/webgpu/backend.ts";
import { makePlane, type Plane } from "../../image/types.ts";
import { PisrModel } from "../../models/pisr.ts";
import { defaultTile, fitsWhole, tileMargin, upscalePlane } from "../../infer/upscale.ts";

setDefaultTimeout(60_000);

const WEBGPU = await haveWebGpu("tiled-inference WebGPU tests");

/** A deterministic LR plane with edges and texture (values in [0, 1]). */
function lrPlane(w: number, h: number): Plane {
  const p = makePlane(w, h);
  let a = 12345;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      a = (Math.imul(a, 1103515245) + 12345) >>> 0;
      const smooth = 0.5 + 0.3 * Math.sin(x / 4) * Math.cos(y / 5) + (x > w / 2 ? 0.1 : -0.1);
      p.data[y * w + x] = Math.min(1, Math.max(0, smooth + 0.1 * (a / 2 ** 32 - 0.5)));
    }
  }
  return p;
}

async function untiled(model: PisrModel, backend: Backend, lr: Plane): Promise<Float32Array> {
  const out = tidy(() => noGrad(() => model.forward(Tensor.fromArray(lr.data, [1, 1, lr.height, lr.width], { backend }))));
  const values = await out.toArray();
  out.dispose();
  return values;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function checkTiling(choice: "cpu" | "webgpu", architecture: "baseline" | "student", scale: number, m = 4): Promise<void> {
  const backend = await createBackend(choice, null);
  const model = new PisrModel(architecture, { scale, m }, { seed: 3, backend });
  try {
    const lr = lrPlane(53, 37);
    const ref = await untiled(model, backend, lr);
    expect(ref.length).toBe(53 * scale * 37 * scale);
    // the random network is not trivial: the output varies over the image
    expect(Math.max(...ref) - Math.min(...ref)).toBeGreaterThan(1e-3);
    const margin = tileMargin(model.config);
    expect(defaultTile(backend, model.activationsPerLrPixel, margin)).toBeGreaterThanOrEqual(32);
    for (const tile of [8, 13, undefined, 5, margin]) {
      const out = await upscalePlane(model, backend, lr, { tile });
      expect([out.width, out.height, out.channels]).toEqual([53 * scale, 37 * scale, 1]);
      const diff = maxAbsDiff(out.data, ref);
      if (!(diff <= 1e-6)) throw new Error(`${choice} ${architecture} ×${scale}, tile ${tile ?? "default"}: max |tiled − untiled| = ${diff}`);
    }
  } finally {
    model.dispose();
    backend.destroy();
  }
}

(WEBGPU ? test : test.skip)("WebGPU: every tile is read as vec4 rows, widened to a multiple of 4 columns with more of the image", async () => {
  const backend = (await createBackend("webgpu", null)) as WebGpuBackend;
  const model = new PisrModel("baseline", { scale: 4 }, { seed: 3, backend });
  try {
    // tiles of 13 and a margin of 8 on a 50-wide plane: windows 21, 29, 29 and 19 columns before widening
    const lr = lrPlane(50, 20);
    backend.rt.startProfiling();
    const out = await upscalePlane(model, backend, lr, { tile: 13 });
    const keys = (await backend.rt.stopProfiling()).map((r) => r.key).filter((k) => k.startsWith("conv"));
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k).toContain("/in4");
    expect(maxAbsDiff(out.data, await untiled(model, backend, lr))).toBeLessThanOrEqual(1e-6);
  } finally {
    model.dispose();
    backend.destroy();
  }
});

test("defaultTile: activations of about 16 MiB in windows a multiple of 4; the device's largest when smaller, or where margins would dominate", () => {
  const device = (maxElements: number) => ({ maxElements }) as Backend;
  // FSRCNN ×4 (56 values per LR pixel, margin 8): a 272-wide window, 4.1 M elements a 56-channel activation
  const fsrcnn = defaultTile(device(1 << 25), 56, 8);
  expect(fsrcnn).toBe(256);
  expect((fsrcnn + 16) ** 2 * 56).toBeLessThanOrEqual(1 << 22);
  // a small device: the largest window it holds, ⌊√(2¹⁸ / 56)⌋ = 68
  expect(defaultTile(device(1 << 18), 56, 8)).toBe(68 - 16);
  // VDSR ×4 (1,024 values per LR pixel): 16 MiB would leave a 64-wide window, mostly margin; the device's largest
  expect(defaultTile(device(1 << 25), 1024, 8)).toBe(181 - 16);
  // never below 32, whatever the device
  expect(defaultTile(device(1 << 10), 1024, 8)).toBe(32);
});

test("fitsWhole: by default an image goes in one pass while its widest activation fits the device", async () => {
  expect(fitsWhole({ maxElements: 1 << 25 }, 56, 480, 270)).toBe(true); // 7.3 M elements
  expect(fitsWhole({ maxElements: 1 << 25 }, 56, 2000, 1336)).toBe(false); // 150 M
  expect(fitsWhole({ maxElements: 1 << 20 }, 56, 480, 270)).toBe(false);
  const backend = await createBackend("cpu", null);
  const model = new PisrModel("baseline", { scale: 2 }, { seed: 3, backend });
  try {
    const totals: number[] = [];
    await upscalePlane(model, backend, lrPlane(40, 30), { onTile: (_, total) => totals.push(total) });
    expect(totals).toEqual([1]);
  } finally {
    model.dispose();
    backend.destroy();
  }
});

describe("upscalePlane: tiled output equals the untiled forward pass", () => {
  test("CPU, baseline ×2 (tiles 8, 13, 5, the margin itself and the default, on a 53×37 LR plane)", () => checkTiling("cpu", "baseline", 2));
  test("CPU, student ×3", () => checkTiling("cpu", "student", 3));
  (WEBGPU ? test : test.skip)("WebGPU, baseline ×2", () => checkTiling("webgpu", "baseline", 2));
  (WEBGPU ? test : test.skip)("WebGPU, baseline ×4", () => checkTiling("webgpu", "baseline", 4));
  test("CPU, baseline ×2 with m = 8 mapping layers (a wider receptive field than the official m = 4)", () => checkTiling("cpu", "baseline", 2, 8));
});

test("tileMargin covers the receptive radius, and by no more than a pixel", async () => {
  expect(tileMargin({ m: 4, scale: 2 })).toBe(9);
  expect(tileMargin({ m: 4, scale: 4 })).toBe(8);
  expect(tileMargin({ m: 8, scale: 3 })).toBe(13);
  // a single bright LR pixel: the HR output changes exactly as far as the receptive radius reaches
  const backend = await createBackend("cpu", null);
  const model = new PisrModel("baseline", { scale: 2, m: 4 }, { seed: 5, backend });
  try {
    const size = 31, c = 15, s = 2;
    const base = makePlane(size, size);
    const poked = makePlane(size, size);
    poked.data[c * size + c] = 1;
    const [a, b] = [await untiled(model, backend, base), await untiled(model, backend, poked)];
    let reach = 0; // farthest LR distance (Chebyshev, from the HR pixel's own LR pixel) that changed
    for (let y = 0; y < size * s; y++) {
      for (let x = 0; x < size * s; x++) {
        if (a[y * size * s + x] !== b[y * size * s + x]) reach = Math.max(reach, Math.abs(Math.floor(x / s) - c), Math.abs(Math.floor(y / s) - c));
      }
    }
    expect(reach).toBeLessThanOrEqual(tileMargin(model.config));
    expect(reach).toBeGreaterThanOrEqual(tileMargin(model.config) - 1);
  } finally {
    model.dispose();
    backend.destroy();
  }
});

test("upscalePlane refuses the teacher with a clear error", async () => {
  const backend = await createBackend("cpu");
  const teacher = new PisrModel("teacher", { scale: 2 }, { seed: 1, backend });
  try {
    await expect(upscalePlane(teacher, backend, lrPlane(12, 10))).rejects.toThrow(/teacher needs the HR image.*student or baseline/);
  } finally {
    teacher.dispose();
    backend.destroy();
  }
});
