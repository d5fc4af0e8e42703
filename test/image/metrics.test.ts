import { describe, expect, test } from "bun:test";
import { gaussian1d, psnr, ssim } from "../../image/metrics.ts";
import { makePlane } from "../../image/types.ts";
import { fixture } from "./helpers.ts";

const fx = fixture("metrics.json");
const ref = makePlane(fx.width, fx.height, Float32Array.from(fx.ref255 as number[], (v) => v / 255));

describe("PSNR / SSIM vs numpy, ssim_index.m port and skimage", () => {
  (fx.cases as any[]).forEach((c, k) => {
    test(`case ${k} (shave ${c.shave})`, () => {
      const pred = makePlane(fx.width, fx.height, Float32Array.from(c.pred255 as number[], (v) => v / 255));
      expect(psnr(pred, ref, { shave: c.shave })).toBeCloseTo(c.psnr, 4);
      expect(Math.abs(ssim(pred, ref, { shave: c.shave }) - c.ssimMatlab)).toBeLessThan(1e-6);
      expect(Math.abs(ssim(pred, ref, { shave: c.shave }) - c.ssimSkimage)).toBeLessThan(1e-6);
    });
  });
});

describe("metric properties", () => {
  test("identical planes: PSNR Infinity, SSIM 1", () => {
    const q = makePlane(20, 20, new Float32Array(400).map((_, i) => (i % 17) / 255));
    expect(psnr(q, q, { quantize: false })).toBe(Infinity);
    // float32 storage of k/255 is not exact: the quantised prediction differs by ~1e-5 on the 0..255 scale
    expect(psnr(q, q)).toBeGreaterThan(90);
    expect(ssim(q, q)).toBeCloseTo(1, 12);
  });
  test("known MSE: constant offset of 1/255 → 48.13 dB", () => {
    const a = makePlane(16, 16, new Float32Array(256).fill(100 / 255));
    const b = makePlane(16, 16, new Float32Array(256).fill(101 / 255));
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(255 * 255), 3);
  });
  test("quantisation of the prediction (on by default)", () => {
    const r = makePlane(4, 4, new Float32Array(16).fill(100 / 255));
    const p = makePlane(4, 4, new Float32Array(16).fill(100.4 / 255));
    expect(psnr(p, r)).toBeGreaterThan(90); // 100.4 rounds to 100 (float32 noise only)
    expect(psnr(p, r, { quantize: false })).toBeCloseTo(10 * Math.log10((255 * 255) / 0.16), 3);
  });
  test("gaussian window sums to 1 and is symmetric", () => {
    const g = gaussian1d();
    expect(g.reduce((a, b) => a + b)).toBeCloseTo(1, 12);
    expect(g[0]).toBeCloseTo(g[10], 15);
  });
  test("size mismatch, channels and too-small images are errors", () => {
    const a = makePlane(12, 12);
    expect(() => psnr(a, makePlane(12, 13))).toThrow(/size mismatch/);
    expect(() => ssim(a, a, { shave: 1 })).toThrow(/smaller than the 11x11 window/);
  });
});
