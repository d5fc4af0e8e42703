// Evaluation of RGB networks (`colour: "rgb"`): the upscaler gets and returns RGB images, the metrics stay
// on the Y channel against the very reference the Y mode uses.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { quantize8, toY } from "../../image/color.ts";
import { modcrop } from "../../image/crop.ts";
import { readImage } from "../../image/decode.ts";
import { writePng } from "../../image/encode.ts";
import { bicubicUpscaler, evaluateSet, makeEvalPair, makeRgbEvalPair, predictionY, type Upscaler } from "../../image/evaluate.ts";
import { Rng } from "../../image/random.ts";
import { imresize } from "../../image/resize.ts";
import { makeImage, makePlane, type Plane } from "../../image/types.ts";
import { maxAbsDiff } from "./helpers.ts";

let tmp: string;
let set: string;
/** Smooth structure plus noise, so bicubic is far from perfect and 8-bit rounding matters. */
const textured = (w: number, h: number, c: number, seed: number) => {
  const rng = new Rng(seed);
  const d = new Float32Array(w * h * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    d[(y * w + x) * c + k] = 0.5 + 0.35 * Math.sin(x / 3 + 2 * k + seed) * Math.cos(y / 4 - k) + 0.12 * (rng.float() - 0.5);
  }
  return makeImage(w, h, c, d);
};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "image-eval-rgb-"));
  set = join(tmp, "set");
  mkdirSync(set);
  writePng(join(set, "a.png"), textured(50, 38, 3, 1));
  writePng(join(set, "b.png"), textured(41, 44, 1, 2)); // greyscale, not a multiple of 2/3/4
  writePng(join(set, "c.png"), textured(63, 57, 3, 3));
  writePng(join(set, "d.png"), textured(37, 52, 3, 4));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("makeRgbEvalPair", () => {
  test("same reference Y as makeEvalPair; HR = modcropped RGB; LR = imresize(HR, 1/s); Y of LR ≈ the Y mode's LR", () => {
    for (const name of ["a.png", "c.png"]) {
      const img = readImage(join(set, name));
      for (const reference of ["float", "uint8"] as const) {
        const y = makeEvalPair(img, 3, { reference });
        const rgb = makeRgbEvalPair(img, 3, { reference });
        expect(rgb.grey).toBe(false);
        expect(Array.from(rgb.hrY.data)).toEqual(Array.from(y.hrY.data));
        expect(rgb.hr.channels).toBe(3);
        expect(Array.from(rgb.hr.data)).toEqual(Array.from(modcrop(img, 3).data));
        expect([rgb.lr.width, rgb.lr.height, rgb.lr.channels]).toEqual([y.lrY.width, y.lrY.height, 3]);
        expect(Array.from(rgb.lr.data)).toEqual(Array.from(imresize(rgb.hr, 1 / 3).data));
        if (reference === "float") expect(maxAbsDiff(toY(rgb.lr).data, y.lrY.data)).toBeLessThan(1e-6);
      }
    }
  });
  test("a greyscale image is replicated to three equal channels, each exactly the Y mode's plane", () => {
    const img = readImage(join(set, "b.png"));
    expect(img.channels).toBe(1);
    const y = makeEvalPair(img, 2);
    const rgb = makeRgbEvalPair(img, 2);
    expect(rgb.grey).toBe(true);
    expect([rgb.hr.width, rgb.hr.height, rgb.hr.channels]).toEqual([40, 44, 3]);
    for (const [im, plane] of [[rgb.hr, y.hrY], [rgb.lr, y.lrY]] as const) {
      for (let c = 0; c < 3; c++) {
        const ch = Float32Array.from({ length: plane.data.length }, (_, i) => im.data[i * 3 + c]);
        expect(Array.from(ch)).toEqual(Array.from(plane.data));
      }
    }
    expect(Array.from(predictionY(rgb.hr, true).data)).toEqual(Array.from(y.hrY.data));
  });
  test("quantizeLR rounds the LR RGB image to 8 bits", () => {
    const img = readImage(join(set, "a.png"));
    const q = makeRgbEvalPair(img, 2, { quantizeLR: true });
    const f = makeRgbEvalPair(img, 2);
    expect(Array.from(q.lr.data)).toEqual(Array.from(quantize8(f.lr).data));
    expect(maxAbsDiff(q.lr.data, f.lr.data)).toBeGreaterThan(0);
    for (const v of q.lr.data) expect(Math.abs(v * 255 - Math.round(v * 255))).toBeLessThan(1e-4);
  });
  test("predictionY: toY for colour images, the channel mean for greyscale ones; RGB only", () => {
    const im = makeImage(2, 1, 3, new Float32Array([0.2, 0.4, 0.6, 1, 0, 0.5]));
    expect(Array.from(predictionY(im, false).data)).toEqual(Array.from(toY(im).data));
    expect(maxAbsDiff(predictionY(im, true).data, [0.4, 0.5])).toBeLessThan(1e-7);
    expect(() => predictionY(makePlane(2, 1), false)).toThrow(/expected an RGB prediction, got 1 channels/);
  });
});

describe("evaluateSet, colour: \"rgb\"", () => {
  // By linearity Y(bicubic(bicubic(RGB))) = bicubic(bicubic(Y)) up to float rounding (~1e-7), so the two
  // modes agree to float precision. With 8-bit quantisation of the prediction a value within ~1e-7 of a
  // rounding boundary could flip (on Set5 ×2 this moves PSNR by ~1e-5 dB); on these images none does and the
  // numbers are identical (measured: 0 dB difference quantised, at most 5e-7 dB unquantised).
  // (Not compared: reference "uint8" and quantizeLR, where the Y mode's LR comes from the rounded Y plane and
  // the RGB mode's from the RGB image, so the numbers differ by design, by ~1e-2 dB.)
  test("RGB bicubic scores as the Y mode's bicubic (every image incl. greyscale, ×2/×3/×4, quantised or not)", async () => {
    for (const scale of [2, 3, 4]) {
      for (const quantize of [true, false]) {
        const y = await evaluateSet(set, scale, bicubicUpscaler, { quantize });
        const rgb = await evaluateSet(set, scale, bicubicUpscaler, { quantize, colour: "rgb" });
        expect(rgb.images.map((i) => [i.name, i.width, i.height])).toEqual(y.images.map((i) => [i.name, i.width, i.height]));
        rgb.images.forEach((r, k) => {
          expect(Math.abs(r.psnr - y.images[k].psnr)).toBeLessThan(quantize ? 1e-9 : 2e-6);
          expect(Math.abs(r.ssim - y.images[k].ssim)).toBeLessThan(quantize ? 1e-12 : 1e-7);
        });
        expect(Math.abs(rgb.psnr - y.psnr)).toBeLessThan(1e-6);
        expect(y.psnr).toBeLessThan(40); // not a trivial case
        expect(y.psnr).toBeGreaterThan(15);
      }
    }
  });
  test("the upscaler gets the LR RGB image and an RGB context; Y mode still gets a plane", async () => {
    const seen: string[] = [];
    const check: Upscaler = (lr, ctx) => {
      seen.push(`${ctx.colour} ${ctx.name}: ${lr.width}x${lr.height}x${lr.channels}->${ctx.width}x${ctx.height}`);
      if (ctx.colour === "rgb") {
        const want = makeRgbEvalPair(readImage(join(set, ctx.name)), ctx.scale, { quantizeLR: true }).lr;
        expect(Array.from(lr.data)).toEqual(Array.from(want.data));
      }
      return imresize(lr, ctx.scale);
    };
    await evaluateSet(set, 3, check, { colour: "rgb", quantizeLR: true, limit: 2 });
    await evaluateSet(set, 3, check, { limit: 2 });
    expect(seen).toEqual([
      "rgb a.png: 16x12x3->48x36", "rgb b.png: 13x14x3->39x42",
      "y a.png: 16x12x1->48x36", "y b.png: 13x14x1->39x42",
    ]);
    // a Y-mode upscaler declared on planes is still an Upscaler
    const yOnly = (lr: Plane, ctx: { scale: number }): Plane => imresize(lr, ctx.scale);
    const r = await evaluateSet(set, 2, yOnly, { limit: 1 });
    expect(r.images).toHaveLength(1);
  });
  test("an oracle returning the HR RGB image scores (near) perfect, greyscale image included", async () => {
    const r = await evaluateSet(set, 2, (_lr, ctx) => makeRgbEvalPair(readImage(join(set, ctx.name)), ctx.scale).hr, { colour: "rgb" });
    for (const i of r.images) expect(i.psnr).toBeGreaterThan(50);
    const exact = await evaluateSet(set, 2, (_lr, ctx) => makeRgbEvalPair(readImage(join(set, ctx.name)), ctx.scale).hr, { colour: "rgb", quantize: false });
    for (const i of exact.images) expect(i.psnr).toBe(Infinity);
  });
  test("errors name the file: wrong size, a 1-channel return, bad colour option", async () => {
    await expect(evaluateSet(set, 2, (lr) => lr, { colour: "rgb" })).rejects.toThrow(`${join(set, "a.png")}: upscaler returned 25x19x3, expected 50x38x3`);
    await expect(evaluateSet(set, 2, (lr, ctx) => toY(imresize(lr, ctx.scale)), { colour: "rgb" })).rejects.toThrow(`${join(set, "a.png")}: upscaler returned 50x38x1, expected 50x38x3`);
    // the Y mode refuses an RGB return, as before
    await expect(evaluateSet(set, 2, (lr, ctx) => makeRgbEvalPair(readImage(join(set, ctx.name)), ctx.scale).hr)).rejects.toThrow(/a\.png: upscaler returned 50x38x3, expected 50x38x1/);
    await expect(evaluateSet(set, 2, bicubicUpscaler, { colour: "ycbcr" as "rgb" })).rejects.toThrow(/colour must be "y" or "rgb"/);
  });
});
