import { describe, expect, test } from "bun:test";
import { sideBySide } from "../../image/montage.ts";
import { makeImage } from "../../image/types.ts";

const filled = (width: number, height: number, channels: number, f: (x: number, y: number, c: number) => number) => {
  const img = makeImage(width, height, channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) img.data[(y * width + x) * channels + c] = f(x, y, c);
  return img;
};

describe("sideBySide", () => {
  test("places each image at its offset with gap columns of the background between", () => {
    const a = filled(2, 3, 3, (x, y, c) => 100 + 10 * y + x + c / 8);
    const b = filled(3, 3, 3, (x, y, c) => 200 + 10 * y + x + c / 8);
    const out = sideBySide([a, b], 2, 0.5);
    expect([out.width, out.height, out.channels]).toEqual([7, 3, 3]);
    const at = (x: number, y: number, c: number) => out.data[(y * 7 + x) * 3 + c];
    for (let y = 0; y < 3; y++) {
      for (let c = 0; c < 3; c++) {
        expect(at(0, y, c)).toBe(100 + 10 * y + c / 8);
        expect(at(1, y, c)).toBe(101 + 10 * y + c / 8);
        expect(at(2, y, c)).toBe(0.5);
        expect(at(3, y, c)).toBe(0.5);
        for (let x = 0; x < 3; x++) expect(at(4 + x, y, c)).toBe(200 + 10 * y + x + c / 8);
      }
    }
  });

  test("one image comes back unchanged; no gap joins them edge to edge", () => {
    const a = filled(4, 2, 1, (x, y) => x + 4 * y);
    expect(Array.from(sideBySide([a]).data)).toEqual(Array.from(a.data));
    expect(Array.from(sideBySide([a, a], 0).data)).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7]);
  });

  test("a height or channel mismatch, an empty list and a bad gap are refused by name", () => {
    const a = makeImage(2, 3, 3), tall = makeImage(2, 4, 3), grey = makeImage(2, 3, 1);
    expect(() => sideBySide([a, tall])).toThrow("image 1 is 2x4x3, image 0 is 2x3x3");
    expect(() => sideBySide([a, grey])).toThrow("image 1 is 2x3x1");
    expect(() => sideBySide([])).toThrow("no images");
    expect(() => sideBySide([a], -1)).toThrow("gap must be a non-negative integer, got -1");
  });
});
