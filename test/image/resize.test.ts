import { describe, expect, test } from "bun:test";
import { contributions, cubic, imresize } from "../../image/resize.ts";
import { crop, modcrop, shave } from "../../image/crop.ts";
import { toY } from "../../image/color.ts";
import { makeImage } from "../../image/types.ts";
import { fixture, maxAbsDiff } from "./helpers.ts";

interface ResizeFixture {
  width: number;
  height: number;
  channels: number;
  input: number[];
  ops: { scale?: number; width?: number; height?: number; outWidth: number; outHeight: number; data: number[] }[];
}

describe("imresize vs the independent numpy port of MATLAB imresize", () => {
  for (const name of ["resize_g13x17.json", "resize_g24x24.json", "resize_rgb9x11.json"]) {
    const fx = fixture<ResizeFixture>(name);
    const img = makeImage(fx.width, fx.height, fx.channels, Float32Array.from(fx.input));
    for (const op of fx.ops) {
      const label = op.scale !== undefined ? `scale ${op.scale.toFixed(4)}` : `size ${op.height}x${op.width}`;
      test(`${name}: ${label} → ${op.outHeight}x${op.outWidth}`, () => {
        const out = op.scale !== undefined ? imresize(img, op.scale) : imresize(img, { width: op.width!, height: op.height! });
        expect(out.width).toBe(op.outWidth);
        expect(out.height).toBe(op.outHeight);
        expect(out.channels).toBe(fx.channels);
        // every pixel, borders included
        expect(maxAbsDiff(out.data, op.data)).toBeLessThan(1e-5);
      });
    }
  }
});

describe("imresize properties", () => {
  test("cubic kernel", () => {
    expect(cubic(0)).toBe(1);
    expect(cubic(1)).toBe(0);
    expect(cubic(2)).toBe(0);
    expect(cubic(0.5)).toBeCloseTo(0.5625, 12);
    expect(cubic(1.5)).toBeCloseTo(-0.0625, 12);
  });
  test("weights sum to 1 and indices are mirrored into range", () => {
    for (const [n, m, s] of [[10, 5, 0.5], [10, 4, 1 / 3], [7, 28, 4]] as const) {
      const c = contributions(n, m, s);
      expect(c.taps).toBe(Math.ceil(s < 1 ? 4 / s : 4) + 2);
      for (let i = 0; i < m; i++) {
        let sum = 0;
        for (let k = 0; k < c.taps; k++) {
          sum += c.weights[i * c.taps + k];
          expect(c.indices[i * c.taps + k]).toBeGreaterThanOrEqual(0);
          expect(c.indices[i * c.taps + k]).toBeLessThan(n);
        }
        expect(sum).toBeCloseTo(1, 12);
      }
    }
    // first output of a 2x upscale reads mirrored indices: u = 0.75, left = -2 → 1-based [-2..3] → [2,1,1,2,3,4]-1
    expect(Array.from(contributions(10, 20, 2).indices.subarray(0, 6))).toEqual([2, 1, 0, 0, 1, 2]);
  });
  test("constant image stays constant; output size is ceil(scale * size); no clamping", () => {
    const img = makeImage(11, 7, 2, new Float32Array(11 * 7 * 2).fill(0.3));
    const down = imresize(img, 1 / 3);
    expect([down.width, down.height, down.channels]).toEqual([4, 3, 2]);
    for (const v of down.data) expect(v).toBeCloseTo(0.3, 6);
    const step = makeImage(8, 1, 1, new Float32Array([0, 0, 0, 0, 1, 1, 1, 1]));
    const up = imresize(step, 2);
    expect(Math.min(...up.data)).toBeLessThan(0); // bicubic overshoot is kept
    expect(Math.max(...up.data)).toBeGreaterThan(1);
  });
  test("resizing RGB then taking Y equals resizing Y (linearity, used by the evaluator)", () => {
    const w = 12, h = 9;
    const rgb = makeImage(w, h, 3, new Float32Array(w * h * 3).map((_, i) => ((i * 7919) % 101) / 100));
    const a = toY(imresize(rgb, 1 / 3));
    const b = imresize(toY(rgb), 1 / 3);
    expect(maxAbsDiff(a.data, b.data)).toBeLessThan(1e-6);
  });
  test("bad arguments", () => {
    const img = makeImage(4, 4, 1);
    expect(() => imresize(img, 0)).toThrow(/bad scale/);
    expect(() => imresize(img, { width: 0, height: 3 })).toThrow(/bad output size/);
    expect(() => imresize(makeImage(0, 0, 1), 2)).toThrow(/no pixels/);
  });
});

describe("crop", () => {
  const img = makeImage(5, 4, 2, new Float32Array(40).map((_, i) => i));
  test("modcrop keeps the top-left multiple of scale", () => {
    const m = modcrop(img, 3);
    expect([m.width, m.height]).toEqual([3, 3]);
    expect(Array.from(m.data.subarray(0, 6))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(m.data.subarray(6, 8))).toEqual([10, 11]);
    expect(modcrop(img, 1).data).not.toBe(img.data);
    expect(() => modcrop(img, 1.5)).toThrow(/positive integer/);
  });
  test("crop and shave", () => {
    const c = crop(img, 1, 2, 2, 2);
    expect(Array.from(c.data)).toEqual([22, 23, 24, 25, 32, 33, 34, 35]);
    const s = shave(img, 1);
    expect([s.width, s.height]).toEqual([3, 2]);
    expect(() => crop(img, 4, 0, 2, 1)).toThrow(/does not fit/);
    expect(() => shave(img, 2)).toThrow(/too small/);
  });
});
