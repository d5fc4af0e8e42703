// The patch sampler in RGB mode (`colour: "rgb"`, for RGB networks): planar [B, 3, p, p] batches with the
// very patches, augmentations and random draws of the Y mode.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { quantize8, toY } from "../../image/color.ts";
import { crop, modcrop } from "../../image/crop.ts";
import { readImage } from "../../image/decode.ts";
import { makeRgbEvalPair } from "../../image/evaluate.ts";
import { imresize } from "../../image/resize.ts";
import { createSampler, type Batch, type SamplerOptions } from "../../image/sampler.ts";
import { makeImage, type Image } from "../../image/types.ts";
import { maxAbsDiff, textureFolders } from "./helpers.ts";

let tmp: string;
let dirA: string, dirB: string;
beforeAll(() => {
  ({ tmp, dirA, dirB } = textureFolders("image-sampler-rgb-", 2)); // a/two.png is greyscale
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const opts = (extra: Partial<SamplerOptions> = {}): SamplerOptions => ({ folders: [dirA, dirB], scale: 3, patchSize: 36, batchSize: 4, seed: 7, warn: () => {}, ...extra });
const rgbOpts = (extra: Partial<SamplerOptions> = {}) => opts({ colour: "rgb", ...extra });

/** Sample b's planar [C, n, n] patch as an HWC image. */
function patchImage(data: Float32Array, b: number, c: number, n: number): Image {
  const out = new Float32Array(n * n * c);
  const base = b * c * n * n;
  for (let k = 0; k < c; k++) for (let i = 0; i < n * n; i++) out[i * c + k] = data[base + k * n * n + i];
  return makeImage(n, n, c, out);
}

/** Reference augmentation: flips then transpose, on an n×n single-channel patch. */
function augmentRef(src: Float32Array, n: number, p: { hflip: boolean; vflip: boolean; transpose: boolean }): number[] {
  let a = Array.from({ length: n }, (_, r) => Array.from(src.subarray(r * n, (r + 1) * n)));
  if (p.hflip) a = a.map((row) => row.reverse());
  if (p.vflip) a = a.reverse();
  if (p.transpose) a = a[0].map((_, c) => a.map((row) => row[c]));
  return a.flat();
}

/** Channel k of an HWC image as a flat plane. */
const channel = (img: Image, k: number) => Float32Array.from({ length: img.width * img.height }, (_, i) => img.data[i * img.channels + k]);

describe("PatchSampler, colour: \"rgb\"", () => {
  test("shapes [B, 3, p, p] / [B, 3, P, P]; colour and channels fields; Y mode unchanged by default", () => {
    const s = createSampler(rgbOpts());
    expect([s.colour, s.channels]).toEqual(["rgb", 3]);
    const b = s.next();
    expect(b.lrShape).toEqual([4, 3, 12, 12]);
    expect(b.hrShape).toEqual([4, 3, 36, 36]);
    expect(b.lr.length).toBe(4 * 3 * 144);
    expect(b.hr.length).toBe(4 * 3 * 1296);
    const y = createSampler(opts());
    expect([y.colour, y.channels]).toEqual(["y", 1]);
    expect(y.next().lrShape).toEqual([4, 1, 12, 12]);
    // the default is the explicit "y" mode, byte for byte
    const a = createSampler(opts()), e = createSampler(opts({ colour: "y" }));
    for (let k = 0; k < 3; k++) {
      const ba = a.next(), be = e.next();
      expect(be.patches).toEqual(ba.patches);
      expect(Buffer.from(be.lr.buffer).equals(Buffer.from(ba.lr.buffer))).toBe(true);
      expect(Buffer.from(be.hr.buffer).equals(Buffer.from(ba.hr.buffer))).toBe(true);
    }
  });
  test("same seed: same patch info as the Y mode, and Y of every RGB patch equals the Y patch (greyscale: each channel)", () => {
    const y = createSampler(opts()), rgb = createSampler(rgbOpts());
    let greySeen = 0, colourSeen = 0;
    for (let k = 0; k < 6; k++) {
      const by = y.next(), br = rgb.next();
      expect(br.patches).toEqual(by.patches);
      br.patches.forEach((p, b) => {
        for (const [data, yData, n] of [[br.lr, by.lr, 12], [br.hr, by.hr, 36]] as const) {
          const im = patchImage(data, b, 3, n);
          const want = yData.subarray(b * n * n, (b + 1) * n * n);
          if (p.path.endsWith("two.png")) {
            greySeen++;
            for (let c = 0; c < 3; c++) expect(Array.from(channel(im, c))).toEqual(Array.from(want));
          } else {
            colourSeen++;
            expect(maxAbsDiff(toY(im).data, want)).toBeLessThan(1e-5);
            expect(maxAbsDiff(channel(im, 0), channel(im, 2))).toBeGreaterThan(0.05); // really colour
          }
        }
      });
    }
    expect(greySeen).toBeGreaterThan(0);
    expect(colourSeen).toBeGreaterThan(0);
  });
  test("patches are the cached RGB images at (x, y) and (x·s, y·s), planar per channel, same augmentation for all", () => {
    const s = createSampler(rgbOpts({ batchSize: 6 }));
    const combos = new Set<string>();
    for (let k = 0; k < 4; k++) {
      const b = s.next();
      b.patches.forEach((p, i) => {
        combos.add(`${+p.hflip}${+p.vflip}${+p.transpose}`);
        const { hr, lr } = s.rgbImages(s.paths.indexOf(p.path));
        const lrCrop = crop(lr, p.x, p.y, 12, 12), hrCrop = crop(hr, p.x * 3, p.y * 3, 36, 36);
        for (let c = 0; c < 3; c++) {
          const o = (i * 3 + c);
          expect(Array.from(b.lr.subarray(o * 144, (o + 1) * 144))).toEqual(augmentRef(channel(lrCrop, c), 12, p));
          expect(Array.from(b.hr.subarray(o * 1296, (o + 1) * 1296))).toEqual(augmentRef(channel(hrCrop, c), 36, p));
        }
      });
    }
    expect(combos.size).toBeGreaterThan(3);
  });
  test("cache: HR = modcropped RGB image, LR = imresize(HR, 1/s) (= makeRgbEvalPair); quantizeLR rounds it", () => {
    const s = createSampler(rgbOpts());
    const idx = s.paths.findIndex((p) => p.endsWith("one.png"));
    const { hr, lr } = s.rgbImages(idx);
    const img = modcrop(readImage(s.paths[idx]), 3);
    expect([hr.width, hr.height, hr.channels, lr.width, lr.height, lr.channels]).toEqual([69, 51, 3, 23, 17, 3]);
    expect(Array.from(hr.data)).toEqual(Array.from(img.data));
    expect(Array.from(lr.data)).toEqual(Array.from(imresize(img, 1 / 3).data));
    expect(Array.from(lr.data)).toEqual(Array.from(makeRgbEvalPair(readImage(s.paths[idx]), 3).lr.data));
    const q = createSampler(rgbOpts({ quantizeLR: true })).rgbImages(idx);
    expect(Array.from(q.lr.data)).toEqual(Array.from(quantize8(lr).data));
    expect(Array.from(q.hr.data)).toEqual(Array.from(hr.data));
    // the Y-mode accessor is refused in RGB mode and vice versa
    expect(() => s.planes(idx)).toThrow(/colour "rgb"/);
    expect(() => createSampler(opts()).rgbImages(idx)).toThrow(/colour "y"/);
  });
  test("a greyscale image gives three equal channels (its own values, not mapped to 16..235)", () => {
    const s = createSampler(rgbOpts({ folders: dirA, augment: false, batchSize: 2 }));
    const idx = s.paths.findIndex((p) => p.endsWith("two.png"));
    const { hr, lr } = s.rgbImages(idx);
    const grey = modcrop(readImage(s.paths[idx]), 3);
    expect(grey.channels).toBe(1);
    for (let c = 0; c < 3; c++) {
      expect(Array.from(channel(hr, c))).toEqual(Array.from(grey.data));
      expect(Array.from(channel(lr, c))).toEqual(Array.from(imresize(grey, 1 / 3).data));
    }
    const b = s.next();
    const i = b.patches.findIndex((p) => p.path.endsWith("two.png"));
    const r = b.hr.subarray((i * 3) * 1296, (i * 3 + 1) * 1296);
    expect(Array.from(b.hr.subarray((i * 3 + 1) * 1296, (i * 3 + 2) * 1296))).toEqual(Array.from(r));
    expect(Array.from(b.hr.subarray((i * 3 + 2) * 1296, (i * 3 + 3) * 1296))).toEqual(Array.from(r));
  });
  test("state() / restore() in RGB mode resumes the identical sequence (JSON round trip, across epochs); states are shared with the Y mode", () => {
    const a = createSampler(rgbOpts());
    a.next();
    a.next(); // 8 samples over 3 images: inside epoch 2
    const saved = JSON.parse(JSON.stringify(a.state()));
    const want: Batch[] = [a.next(), a.next(), a.next()];
    const b = createSampler(rgbOpts({ seed: 999 }));
    b.restore(saved);
    for (const w of want) {
      const got = b.next();
      expect(got.patches).toEqual(w.patches);
      expect(Array.from(got.lr)).toEqual(Array.from(w.lr));
      expect(Array.from(got.hr)).toEqual(Array.from(w.hr));
    }
    // the state does not record the mode: a Y sampler resumed from it draws the same patches
    const y = createSampler(opts({ seed: 5 }));
    y.restore(saved);
    for (const w of want) expect(y.next().patches).toEqual(w.patches);
  });
  test("bad colour option", () => {
    expect(() => createSampler(opts({ colour: "ycbcr" as "rgb" }))).toThrow(/colour must be "y" or "rgb"/);
  });
  test("preload decodes every image once in RGB mode", () => {
    const s = createSampler(rgbOpts({ preload: true }));
    expect(s.stats()).toMatchObject({ images: 3, cached: 3, decodes: 3 });
    s.next();
    expect(s.stats().decodes).toBe(3);
  });
});
