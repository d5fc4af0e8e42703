import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { writePng } from "../../image/encode.ts";
import { Rng } from "../../image/random.ts";
import { type Image, makeImage } from "../../image/types.ts";

/** Repository root (this file is test/image/helpers.ts). */
export const REPO_ROOT = resolve(dirname(import.meta.path), "..", "..");
export const FIXTURES = join(REPO_ROOT, "test", "fixtures", "image");

export function fixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as T;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A smooth, seeded texture with some noise (values in [0, 1]); `channelStep` shifts each channel's phase. */
export function texture(w: number, h: number, c: number, seed: number, channelStep = 1): Image {
  const rng = new Rng(seed);
  const d = new Float32Array(w * h * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    d[(y * w + x) * c + k] = 0.5 + 0.3 * Math.sin(x / 3 + y / 7 + channelStep * k + seed) + 0.15 * (rng.float() - 0.5);
  }
  return makeImage(w, h, c, d);
}

/**
 * The sampler tests' training folders, in a fresh temporary directory: a/one.png (70×53 RGB), a/two.png (49×61
 * grey), b/three.png (97×50 RGB).
 */
export function textureFolders(prefix: string, channelStep = 1): { tmp: string; dirA: string; dirB: string } {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  const dirA = join(tmp, "a"), dirB = join(tmp, "b");
  mkdirSync(dirA);
  mkdirSync(dirB);
  writePng(join(dirA, "one.png"), texture(70, 53, 3, 1, channelStep));
  writePng(join(dirA, "two.png"), texture(49, 61, 1, 2, channelStep));
  writePng(join(dirB, "three.png"), texture(97, 50, 3, 3, channelStep));
  return { tmp, dirA, dirB };
}
