import { describe, expect, test } from "bun:test";
import { mergeChannels, quantize8, rgbToYcbcr, splitChannels, toY, ycbcrToRgb } from "../../image/color.ts";
import { makeImage } from "../../image/types.ts";
import { fixture, maxAbsDiff } from "./helpers.ts";

const fx = fixture("colour.json");

describe("colour (vs skimage)", () => {
  const rgb = makeImage(fx.width, fx.height, 3, Float32Array.from(fx.rgb8 as number[], (v) => v / 255));
  test("rgbToYcbcr matches skimage.color.rgb2ycbcr / 255", () => {
    const ycc = rgbToYcbcr(rgb);
    expect(maxAbsDiff(Array.from(ycc.data, (v) => v * 255), fx.ycbcr255)).toBeLessThan(1e-4);
  });
  test("toY is the Y channel; black → 16/255, white → 235/255", () => {
    const y = toY(rgb);
    const want = (fx.ycbcr255 as number[]).filter((_, i) => i % 3 === 0).map((v) => v / 255);
    expect(maxAbsDiff(y.data, want)).toBeLessThan(1e-6);
    expect(y.data[0]).toBeCloseTo(16 / 255, 6);
    expect(y.data[1]).toBeCloseTo(235 / 255, 6);
  });
  test("ycbcrToRgb matches skimage.color.ycbcr2rgb and inverts rgbToYcbcr", () => {
    const { width, height, data } = fx.ycbcrIn255;
    const ycc = makeImage(width, height, 3, Float32Array.from(data as number[], (v) => v / 255));
    expect(maxAbsDiff(ycbcrToRgb(ycc).data, fx.ycbcrInToRgb)).toBeLessThan(1e-5);
    expect(maxAbsDiff(ycbcrToRgb(rgbToYcbcr(rgb)).data, rgb.data)).toBeLessThan(1e-6);
    expect(maxAbsDiff(ycbcrToRgb(rgbToYcbcr(rgb)).data, fx.roundtripRgb)).toBeLessThan(1e-5);
  });
  test("greyscale uses its channel as Y", () => {
    const g = makeImage(2, 1, 1, new Float32Array([0.25, 1]));
    expect(Array.from(toY(g).data)).toEqual([0.25, 1]);
  });
  test("channel count is checked", () => {
    expect(() => rgbToYcbcr(makeImage(1, 1, 1))).toThrow(/expected 3 channels/);
    expect(() => toY(makeImage(1, 1, 4))).toThrow(/expected 3 channels/);
  });
  test("quantize8 clamps and rounds to 1/255 steps", () => {
    const q = quantize8(makeImage(5, 1, 1, new Float32Array([-1, 0.5 / 255, 1.49 / 255, 2, NaN])));
    expect(Array.from(q.data, (v) => Math.round(v * 255))).toEqual([0, 1, 1, 255, 0]);
  });
  test("split / merge channels", () => {
    const planes = splitChannels(rgb);
    expect(planes.length).toBe(3);
    expect(Array.from(mergeChannels(planes).data)).toEqual(Array.from(rgb.data));
  });
});
