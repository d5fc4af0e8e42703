// Tiled inference for every architecture of the registry: each network's margin (models/registry.ts) covers
// how far one LR pixel reaches in its output — measured by poking one pixel of a random network's input — and is
// not much wider; an RGB network (CARN-M) goes through the tiles as three planes and stitches exactly; a grey
// image goes through an RGB network and comes back grey. On WebGPU (required in CI), else on the CPU backend.

import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Backend } from "../../engine/backend.ts";
import { CpuBackend, noGrad, Tensor, tidy } from "../../engine/index.ts";
import { WebGpuBackend } from "../../engine/webgpu/backend.ts";
import { upscaleImage, upscalePlane, upscalePlanes, upscaleRows } from "../../infer/upscale.ts";
import { mergeChannels, rgbToYcbcr, splitChannels, ycbcrToRgb } from "../../image/color.ts";
import { imresize } from "../../image/resize.ts";
import { makeImage, makePlane, type Plane } from "../../image/types.ts";
import { PisrModel } from "../../models/pisr.ts";
import { ARCHITECTURES, type ArchName } from "../../models/registry.ts";
import { haveWebGpu } from "../webgpu.ts";

setDefaultTimeout(300_000);
const backend: Backend = (await haveWebGpu("tiled inference of every architecture")) ? await WebGpuBackend.create() : new CpuBackend("float32");
afterAll(() => backend.destroy());

async function forward(model: PisrModel, planes: readonly Plane[]): Promise<Float32Array> {
  const { width: w, height: h } = planes[0]!;
  const data = new Float32Array(planes.length * w * h);
  planes.forEach((p, c) => data.set(p.data, c * w * h));
  const out = tidy(() => noGrad(() => model.forward(Tensor.fromArray(data, [1, planes.length, h, w], { backend }))));
  const values = await out.toArray();
  out.dispose();
  return values;
}

function texture(w: number, h: number, seed: number): Plane {
  const p = makePlane(w, h);
  let a = seed;
  for (let i = 0; i < w * h; i++) {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    p.data[i] = 0.5 + 0.3 * Math.sin(i / 7) + 0.2 * (a / 2 ** 32 - 0.5);
  }
  return p;
}

/** Farthest LR distance (Chebyshev, from each HR pixel's own LR pixel) at which poking the centre pixel changed the output. */
async function reach(arch: ArchName, scale: number): Promise<{ reach: number; margin: number }> {
  const model = new PisrModel("baseline", { scale }, { arch, backend, seed: 9 });
  try {
    const margin = model.tileMargin, size = 2 * margin + 5, c = margin + 2, C = model.imageChannels;
    const base = Array.from({ length: C }, (_, k) => texture(size, size, 3 + k));
    const poked = base.map((p) => ({ ...p, data: Float32Array.from(p.data) }));
    for (const p of poked) p.data[c * size + c] += 0.5;
    const [a, b] = [await forward(model, base), await forward(model, poked)];
    const W = size * scale;
    let far = 0;
    for (let i = 0; i < a.length; i++) {
      // exact: both passes run the same kernels on the same shapes, so an output the poke cannot reach is bit-equal
      // (a threshold would miss the field's edge, where a deep stack of small random weights has shrunk the change)
      if (a[i] !== b[i]) {
        const x = i % W, y = Math.floor(i / W) % W;
        far = Math.max(far, Math.abs(Math.floor(x / scale) - c), Math.abs(Math.floor(y / scale) - c));
      }
    }
    return { reach: far, margin };
  } finally {
    model.dispose();
  }
}

describe("each architecture's tile margin covers its receptive field", () => {
  for (const arch of ARCHITECTURES) {
    for (const scale of [2, 4]) {
      test(`${arch} ×${scale}`, async () => {
        const { reach: r, margin } = await reach(arch, scale);
        expect(r).toBeLessThanOrEqual(margin);
        // and the margin is not much wider than needed (every tile would redo that much work)
        expect(r).toBeGreaterThanOrEqual(margin - 2);
      });
    }
  }
});

describe("RGB networks", () => {
  test("CARN-M: RGB tiles stitch to the untiled pass, and a plane count that does not fit is refused", async () => {
    const model = new PisrModel("baseline", { scale: 2 }, { arch: "carn-m", backend, seed: 4 });
    try {
      const planes = [1, 2, 3].map((k) => texture(61, 47, k));
      const whole = await forward(model, planes);
      const tiled = await upscalePlanes(model, backend, planes, { tile: 20 });
      expect(tiled.length).toBe(3);
      let worst = 0;
      tiled.forEach((p, c) => {
        expect([p.width, p.height]).toEqual([122, 94]);
        for (let i = 0; i < p.data.length; i++) worst = Math.max(worst, Math.abs(p.data[i]! - whole[c * p.data.length + i]!));
      });
      expect(worst).toBeLessThan(1e-5);
      await expect(upscalePlane(model, backend, planes[0]!)).rejects.toThrow(/carn-m network works on RGB images/);
      await expect(upscalePlanes(model, backend, planes.slice(0, 2))).rejects.toThrow(/takes 3 plane\(s\), got 2/);
    } finally {
      model.dispose();
    }
  });

  test("CARN-M: an RGB image goes through as RGB, a grey one comes back grey (the mean of the three planes)", async () => {
    const model = new PisrModel("baseline", { scale: 2 }, { arch: "carn-m", backend, seed: 5 });
    try {
      const grey = texture(9, 7, 11);
      const rgb = makeImage(9, 7, 3);
      for (let i = 0; i < 63; i++) for (let c = 0; c < 3; c++) rgb.data[i * 3 + c] = grey.data[i]!;
      const bigRgb = await upscaleImage(model, backend, rgb);
      expect([bigRgb.width, bigRgb.height, bigRgb.channels]).toEqual([18, 14, 3]);
      const bigGrey = await upscaleImage(model, backend, grey);
      expect(bigGrey.channels).toBe(1);
      for (let i = 0; i < 18 * 14; i++) {
        const mean = (bigRgb.data[3 * i]! + bigRgb.data[3 * i + 1]! + bigRgb.data[3 * i + 2]!) / 3;
        expect(Math.abs(bigGrey.data[i]! - mean)).toBeLessThan(1e-6);
      }
      // the mean shift makes the three outputs differ even for equal inputs: the network is really RGB
      expect(bigRgb.data[0]).not.toBe(bigRgb.data[1]);
    } finally {
      model.dispose();
    }
  });

  test("upscaleRows: row by row, the same image as upscaleImage, which is the YCbCr recipe done whole", async () => {
    for (const arch of ["fsrcnn", "carn-m"] as const) {
      const model = new PisrModel("baseline", { scale: 3 }, { arch, backend, seed: 9 });
      try {
        const rgb = makeImage(11, 8, 3);
        const [r, g, b] = [texture(11, 8, 1), texture(11, 8, 2), texture(11, 8, 3)];
        for (let i = 0; i < 88; i++) rgb.data.set([r.data[i]!, g.data[i]!, b.data[i]!], 3 * i);
        const whole = await upscaleImage(model, backend, rgb);
        const rows = await upscaleRows(model, backend, rgb);
        expect([rows.width, rows.height, rows.channels]).toEqual([33, 24, 3]);
        for (const y of [23, 0, 11, 5]) expect(Array.from(rows.row(y))).toEqual(Array.from(whole.data.subarray(y * 99, (y + 1) * 99)));
        if (arch === "fsrcnn") {
          const [yy, cb, cr] = splitChannels(rgbToYcbcr(rgb)) as Plane[];
          const recipe = ycbcrToRgb(mergeChannels([await upscalePlane(model, backend, yy!), imresize(cb!, 3), imresize(cr!, 3)]));
          expect(Array.from(whole.data)).toEqual(Array.from(recipe.data));
        }
      } finally {
        model.dispose();
      }
    }
  });
});
