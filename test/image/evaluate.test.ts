import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toY } from "../../image/color.ts";
import { writePng } from "../../image/encode.ts";
import { bicubicUpscaler, evaluateSet, makeEvalPair } from "../../image/evaluate.ts";
import { listImages } from "../../image/files.ts";
import { imresize } from "../../image/resize.ts";
import { makeImage, makePlane } from "../../image/types.ts";
import { maxAbsDiff } from "./helpers.ts";

let tmp: string;
const smooth = (w: number, h: number, c: number, phase = 0) => {
  const d = new Float32Array(w * h * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    d[(y * w + x) * c + k] = 0.5 + 0.4 * Math.sin(x / 4 + k + phase) * Math.cos(y / 5);
  }
  return makeImage(w, h, c, d);
};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "image-eval-"));
  mkdirSync(join(tmp, "set"));
  writePng(join(tmp, "set", "a.png"), smooth(50, 38, 3));
  writePng(join(tmp, "set", "b.png"), smooth(41, 44, 1, 1)); // greyscale, not a multiple of 2/3/4
  writeFileSync(join(tmp, "set", "README.txt"), "not an image");
  mkdirSync(join(tmp, "empty"));
  writeFileSync(join(tmp, "empty", "notes.txt"), "x");
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("evaluateSet", () => {
  test("per-image and mean results; an oracle upscaler scores near-perfect", async () => {
    const r = await evaluateSet(join(tmp, "set"), 2, bicubicUpscaler);
    expect(r.images.map((i) => i.name)).toEqual(["a.png", "b.png"]);
    expect(r.images[1]).toMatchObject({ width: 40, height: 44 });
    expect(r.psnr).toBeCloseTo((r.images[0].psnr + r.images[1].psnr) / 2, 10);
    expect(r.psnr).toBeGreaterThan(30);
    expect(r.ssim).toBeGreaterThan(0.9);
    // an oracle that returns the reference itself: (near) perfect after quantisation
    const oracle = await evaluateSet(join(tmp, "set"), 2, (_lr, ctx) => cache.get(ctx.name)!);
    expect(oracle.psnr).toBeGreaterThan(50);
  });
  const cache = new Map<string, ReturnType<typeof makePlane>>();
  beforeAll(async () => {
    const { readImage } = await import("../../image/decode.ts");
    for (const n of ["a.png", "b.png"]) cache.set(n, makeEvalPair(readImage(join(tmp, "set", n)), 2).hrY);
  });
  test("context carries scale, name and target size; async upscalers work", async () => {
    const seen: string[] = [];
    await evaluateSet(join(tmp, "set"), 3, async (lr, ctx) => {
      seen.push(`${ctx.name}@${ctx.index}:${lr.width}x${lr.height}->${ctx.width}x${ctx.height}`);
      return imresize(lr, ctx.scale);
    });
    expect(seen).toEqual(["a.png@0:16x12->48x36", "b.png@1:13x14->39x42"]);
  });
  test("LR of the Y plane equals Y of the LR RGB image", () => {
    const img = smooth(24, 18, 3);
    const { lrY } = makeEvalPair(img, 3);
    expect(maxAbsDiff(lrY.data, toY(imresize(img, 1 / 3)).data)).toBeLessThan(1e-6);
  });
  test("errors: wrong output size, missing folder, folder without images", async () => {
    await expect(evaluateSet(join(tmp, "set"), 2, (lr) => lr)).rejects.toThrow(/a\.png: upscaler returned 25x19x1, expected 50x38x1/);
    await expect(evaluateSet(join(tmp, "missing"), 2, bicubicUpscaler)).rejects.toThrow(`${join(tmp, "missing")}: image folder not found`);
    await expect(evaluateSet(join(tmp, "empty"), 2, bicubicUpscaler)).rejects.toThrow(`${join(tmp, "empty")}: no images`);
    await expect(evaluateSet(join(tmp, "set"), 1.5, bicubicUpscaler)).rejects.toThrow(/positive integer/);
  });
  test("listImages filters by extension and sorts", () => {
    expect(listImages(join(tmp, "set")).map((p) => p.slice(-5))).toEqual(["a.png", "b.png"]);
    expect(() => listImages(join(tmp, "set", "a.png"))).toThrow(/not a folder/);
  });
});
