// Small training folders for the trainer's tests: square crops of Set5 pictures written as PNGs (real image
// statistics at a few hundred pixels, so that a step takes milliseconds on the CPU backend).

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { crop } from "../../image/crop.ts";
import { readImage } from "../../image/decode.ts";
import { writePng } from "../../image/encode.ts";
import { BENCHMARK_DIR } from "../../image/paths.ts";

/** The crops [picture, x, y] of side `size`, as `<picture>.png` in `folder` (created); returns the folder. */
export function writeSet5Crops(folder: string, crops: readonly (readonly [string, number, number])[], size: number): string {
  mkdirSync(folder, { recursive: true });
  for (const [name, x, y] of crops) writePng(join(folder, `${name}.png`), crop(readImage(join(BENCHMARK_DIR, "Set5", `${name}.png`)), x, y, size, size));
  return folder;
}
