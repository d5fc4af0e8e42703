import { expect, test } from "bun:test";
import * as img from "../../image/index.ts";

test("index re-exports the public API", () => {
  for (const name of ["readImage", "decodeImage", "writePng", "encodePng", "toY", "rgbToYcbcr", "ycbcrToRgb", "quantize8", "imresize", "modcrop", "crop", "shave", "psnr", "ssim", "createSampler", "evaluateSet", "bicubicUpscaler", "listImages", "Rng"]) {
    expect(typeof (img as Record<string, unknown>)[name]).toBe("function");
  }
  expect(img.PUBLISHED_BICUBIC.Set5[2].psnr).toBe(33.66);
  expect(img.SHARED_DATA.endsWith("/shared/data")).toBe(true);
});
