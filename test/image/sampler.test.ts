import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writePng } from "../../image/encode.ts";
import { readImage } from "../../image/decode.ts";
import { toY } from "../../image/color.ts";
import { crop, modcrop } from "../../image/crop.ts";
import { imresize } from "../../image/resize.ts";
import { Rng } from "../../image/random.ts";
import { createSampler, type Batch } from "../../image/sampler.ts";
import { TRAIN_DIR } from "../../image/paths.ts";
import { makePlane } from "../../image/types.ts";
import { FIXTURES, maxAbsDiff, texture, textureFolders } from "./helpers.ts";

let tmp: string;
let dirA: string, dirB: string;
beforeAll(() => {
  ({ tmp, dirA, dirB } = textureFolders("image-sampler-"));
  copyFileSync(join(FIXTURES, "files", "colour.jpg"), join(dirA, "small.jpg")); // 32x24: too small
  mkdirSync(join(tmp, "empty"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const opts = () => ({ folders: [dirA, dirB], scale: 3, patchSize: 36, batchSize: 4, seed: 7, warn: () => {} });

describe("Rng (xoshiro128**)", () => {
  test("matches the reference algorithm from state [1, 2, 3, 4] (hand-derived from the C code)", () => {
    const r = new Rng();
    r.restore([1, 2, 3, 4]);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([11520, 0, 5927040]);
  });
  test("seeded, reproducible, state round trip, unbiased int range", () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xs);
    const s = a.state();
    const next = a.float();
    b.restore(s);
    expect(b.float()).toBe(next);
    const counts = new Array(3).fill(0);
    for (let i = 0; i < 3000; i++) counts[a.int(3)]++;
    for (const n of counts) expect(Math.abs(n - 1000)).toBeLessThan(120);
    expect(() => a.restore([0, 0, 0, 0])).toThrow(/all-zero/);
  });
});

describe("PatchSampler", () => {
  test("shapes, value range, skipping small images with a warning", () => {
    const warnings: string[] = [];
    const s = createSampler({ ...opts(), warn: (m) => warnings.push(m) });
    expect(s.imageCount).toBe(3);
    expect(warnings.join()).toContain("small.jpg (32x24)");
    const b = s.next();
    expect(b.lrShape).toEqual([4, 1, 12, 12]);
    expect(b.hrShape).toEqual([4, 1, 36, 36]);
    expect(b.lr.length).toBe(4 * 144);
    expect(b.hr.length).toBe(4 * 36 * 36);
    for (const v of b.hr) expect(v >= 0 && v <= 1).toBe(true);
  });
  test("defaults: 192 px HR patches, batches of 16, augmentation on", () => {
    const big = join(tmp, "big");
    mkdirSync(big);
    writePng(join(big, "big.png"), texture(200, 195, 3, 4));
    const s = createSampler({ folders: big, scale: 2 });
    expect([s.patchSize, s.lrPatchSize, s.batchSize, s.augment]).toEqual([192, 96, 16, true]);
    const b = s.next();
    expect(b.hrShape).toEqual([16, 1, 192, 192]);
    expect(b.lrShape).toEqual([16, 1, 96, 96]);
  }, 10_000);
  test("patches are the cached planes at (x, y) and (x·s, y·s), with identical augmentation", () => {
    const s = createSampler(opts());
    for (let k = 0; k < 5; k++) {
      const b = s.next();
      b.patches.forEach((p, i) => {
        const idx = s.paths.indexOf(p.path);
        const { hrY, lrY } = s.planes(idx);
        const expectLr = augmentRef(crop(lrY, p.x, p.y, 12, 12).data, 12, p);
        const expectHr = augmentRef(crop(hrY, p.x * 3, p.y * 3, 36, 36).data, 36, p);
        expect(Array.from(b.lr.subarray(i * 144, (i + 1) * 144))).toEqual(expectLr);
        expect(Array.from(b.hr.subarray(i * 1296, (i + 1) * 1296))).toEqual(expectHr);
      });
    }
  });
  test("planes: hrY = Y of the modcropped image, lrY = MATLAB-bicubic downscale of it", () => {
    const s = createSampler(opts());
    const idx = s.paths.findIndex((p) => p.endsWith("one.png"));
    const { hrY, lrY } = s.planes(idx);
    const hr = modcrop(readImage(s.paths[idx]), 3);
    expect([hrY.width, hrY.height, lrY.width, lrY.height]).toEqual([69, 51, 23, 17]);
    expect(maxAbsDiff(hrY.data, toY(hr).data)).toBe(0);
    expect(maxAbsDiff(lrY.data, toY(imresize(hr, 1 / 3)).data)).toBeLessThan(1e-6);
  });
  test("LR patch ≈ bicubic downscale of the HR patch away from the patch border (alignment, all augmentations)", () => {
    const s = createSampler({ ...opts(), scale: 2, patchSize: 40, batchSize: 24 });
    const b = s.next();
    const combos = new Set(b.patches.map((p) => `${+p.hflip}${+p.vflip}${+p.transpose}`));
    expect(combos.size).toBeGreaterThan(4);
    for (let i = 0; i < 24; i++) {
      const hrPatch = makePlane(40, 40, b.hr.slice(i * 1600, (i + 1) * 1600));
      const down = imresize(hrPatch, 0.5);
      let m = 0;
      for (let y = 4; y < 16; y++) for (let x = 4; x < 16; x++) m = Math.max(m, Math.abs(down.data[y * 20 + x] - b.lr[i * 400 + y * 20 + x]));
      expect(m).toBeLessThan(1e-5);
    }
  });
  test("seeded: same seed → same batches, different seed → different", () => {
    const a = createSampler(opts()), b = createSampler(opts()), c = createSampler({ ...opts(), seed: 8 });
    for (let k = 0; k < 3; k++) {
      const ba = a.next(), bb = b.next(), bc = c.next();
      expect(ba.patches).toEqual(bb.patches);
      expect(Array.from(ba.hr)).toEqual(Array.from(bb.hr));
      if (k === 0) expect(ba.patches).not.toEqual(bc.patches);
    }
  });
  test("state() / restore() resumes exactly (through a JSON round trip, across epochs)", () => {
    const a = createSampler(opts());
    a.next();
    a.next(); // 8 samples over 3 images: inside epoch 2
    const saved = JSON.parse(JSON.stringify(a.state()));
    const wantA: Batch[] = [a.next(), a.next(), a.next()];
    const b = createSampler({ ...opts(), seed: 999 });
    b.restore(saved);
    for (const w of wantA) {
      const got = b.next();
      expect(got.patches).toEqual(w.patches);
      expect(Array.from(got.lr)).toEqual(Array.from(w.lr));
    }
    const other = createSampler({ ...opts(), folders: [dirA] });
    expect(() => other.restore(saved)).toThrow(/another image list/);
  });
  test("restore() accepts the same images under another root (a run resumed on another machine), not renamed ones", () => {
    const a = createSampler(opts());
    a.next();
    const saved = JSON.parse(JSON.stringify(a.state()));
    const want = a.next();
    const moved = join(tmp, "elsewhere");
    mkdirSync(moved);
    cpSync(dirA, join(moved, "a"), { recursive: true });
    cpSync(dirB, join(moved, "b"), { recursive: true });
    const b = createSampler({ ...opts(), folders: [join(moved, "a"), join(moved, "b")] });
    b.restore(saved);
    expect(Array.from(b.next().lr)).toEqual(Array.from(want.lr));
    cpSync(dirB, join(moved, "c"), { recursive: true });
    const renamed = createSampler({ ...opts(), folders: [join(moved, "a"), join(moved, "c")] });
    expect(() => renamed.restore(saved)).toThrow(/another image list/);
  });
  test("restore() still accepts the whole-path fingerprint of run directories written before", () => {
    const a = createSampler(opts());
    // FNV-1a over the joined absolute paths, as the sampler computed it before
    let h = 0x811c9dc5;
    for (const ch of a.paths.join("\n")) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    const legacy = { ...a.state(), fingerprint: h.toString(16).padStart(8, "0") };
    expect(legacy.fingerprint).not.toBe(a.state().fingerprint);
    expect(() => createSampler(opts()).restore(legacy)).not.toThrow();
    expect(() => createSampler(opts()).restore({ ...legacy, fingerprint: "00000000" })).toThrow(/another image list/);
  });
  test("epochs visit every image once; images are decoded once and cached", () => {
    const s = createSampler({ ...opts(), batchSize: 3 });
    for (let e = 0; e < 4; e++) {
      const names = s.next().patches.map((p) => p.path).sort();
      expect(names).toEqual([...s.paths].sort());
    }
    expect(s.stats()).toMatchObject({ images: 3, cached: 3, decodes: 3, epoch: 3 });
  });
  test("augment: false keeps patches unflipped", () => {
    const s = createSampler({ ...opts(), augment: false });
    for (const p of s.next().patches) expect([p.hflip, p.vflip, p.transpose]).toEqual([false, false, false]);
  });
  test("errors name the folder; bad options", () => {
    expect(() => createSampler({ ...opts(), folders: [join(tmp, "missing")] })).toThrow(`${join(tmp, "missing")}: image folder not found`);
    expect(() => createSampler({ ...opts(), folders: [join(tmp, "empty")] })).toThrow(`${join(tmp, "empty")}: no images`);
    expect(() => createSampler({ ...opts(), folders: [dirA], patchSize: 300, scale: 3 })).toThrow(/no image is at least 300x300/);
    expect(() => createSampler({ ...opts(), patchSize: 37 })).toThrow(/multiple of scale/);
    expect(() => createSampler({ ...opts(), folders: [] })).toThrow(/no folders/);
  });
  test("a corrupt image is reported by name when first used", () => {
    const dir = join(tmp, "corrupt");
    mkdirSync(dir);
    writePng(join(dir, "ok.png"), texture(40, 40, 3, 5));
    const bytes = require("node:fs").readFileSync(join(dir, "ok.png")) as Buffer;
    writeFileSync(join(dir, "bad.png"), bytes.subarray(0, 60));
    const s = createSampler({ folders: dir, scale: 2, patchSize: 20, batchSize: 2, warn: () => {} });
    expect(() => s.next()).toThrow(/bad\.png: (truncated|corrupt)/);
  });
});

describe.skipIf(!existsSync(join(TRAIN_DIR, "bsds400")))("on the training photos", () => {
  test("bsds400 JPEGs: a 16×192² batch at ×4 from a few images", () => {
    const dir = join(tmp, "photos");
    mkdirSync(dir);
    for (const f of ["100007.jpg", "100039.jpg", "100075.jpg"]) copyFileSync(join(TRAIN_DIR, "bsds400", f), join(dir, f));
    const s = createSampler({ folders: dir, scale: 4, seed: 1 });
    const b = s.next();
    expect(b.lrShape).toEqual([16, 1, 48, 48]);
    expect(b.hrShape).toEqual([16, 1, 192, 192]);
    expect(s.stats().decodes).toBe(3);
  });
});

/** Reference augmentation: flips then transpose, on a size×size patch. */
function augmentRef(src: Float32Array, n: number, p: { hflip: boolean; vflip: boolean; transpose: boolean }): number[] {
  let a = Array.from({ length: n }, (_, r) => Array.from(src.subarray(r * n, (r + 1) * n)));
  if (p.hflip) a = a.map((row) => row.reverse());
  if (p.vflip) a = a.reverse();
  if (p.transpose) a = a[0].map((_, c) => a.map((row) => row[c]));
  return a.flat();
}
