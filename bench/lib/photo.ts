// The photo of the L3 workload (bench/run.ts): 2000×1336, the size of a camera photo people upscale. No image
// that large is under ../shared/data (the largest is Urban100's img_020, 1280×960), so it is built from that one,
// deterministically: img_020 mirrored at its right and bottom edges (x → 2·1280 − 1 − x past the edge, y alike)
// out to 2000×1336 — real photographic content at its native detail, so PNG decode and encode see what a photo
// gives them (a bicubic upscale would be smoother and compress better). Written once, as an 8-bit RGB PNG, to
// bench/out/ (git-ignored) and reused while it is there at the right size.
//   bun bench/lib/photo.ts        builds it (if missing) and prints its path

import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { readImage, readImageInfo } from "../../image/decode.ts";
import { writePng } from "../../image/encode.ts";
import { makeImage } from "../../image/types.ts";
import { W } from "../workloads.ts";

const ROOT = join(import.meta.dir, "../..");
export const PHOTO_SOURCE = join(ROOT, "../shared/data/benchmark/Urban100/img_020.png");
export const PHOTO_PATH = join(ROOT, `bench/out/l3-photo-${W.loop.photo.width}x${W.loop.photo.height}.png`);

/** Index `i` of a row or column past the edge of a length-`n` one, mirrored back (period 2n: 0..n−1, n−1..0). */
function mirror(i: number, n: number): number {
  const m = i % (2 * n);
  return m < n ? m : 2 * n - 1 - m;
}

/** The path of the L3 photo, built first when it is missing (or not the size the workload says). */
export function ensurePhoto(path = PHOTO_PATH, source = PHOTO_SOURCE): string {
  const { width, height } = W.loop.photo;
  if (existsSync(path)) {
    const info = readImageInfo(path);
    if (info.width === width && info.height === height && info.channels === 3) return path;
  }
  if (!existsSync(source)) throw new Error(`${source}: not found (the L3 photo is built from it; ../shared/data holds the benchmark sets)`);
  const src = readImage(source);
  if (src.channels !== 3) throw new Error(`${source}: expected RGB, got ${src.channels} channels`);
  const out = makeImage(width, height, 3);
  for (let y = 0; y < height; y++) {
    const sy = mirror(y, src.height);
    for (let x = 0; x < width; x++) {
      const s = (sy * src.width + mirror(x, src.width)) * 3, d = (y * width + x) * 3;
      out.data[d] = src.data[s];
      out.data[d + 1] = src.data[s + 1];
      out.data[d + 2] = src.data[s + 2];
    }
  }
  mkdirSync(dirname(path), { recursive: true });
  writePng(path, out); // the samples are k/255 already: written back exactly
  return path;
}

if (import.meta.main) console.log(ensurePhoto());
