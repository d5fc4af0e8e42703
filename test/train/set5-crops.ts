// Small training folders for the trainer's tests: square crops of Set5 pictures written as PNGs (real image
// statistics at a few hundred pixels, so that a step takes milliseconds on the CPU backend), and a teacher to
// distil from.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { crop } from "../../image/crop.ts";
import { readImage } from "../../image/decode.ts";
import { writePng } from "../../image/encode.ts";
import { BENCHMARK_DIR } from "../../image/paths.ts";
import { createBackend } from "../../engine/init.ts";
import { PisrModel } from "../../models/pisr.ts";
import { saveModel } from "../../train/models-io.ts";

/** The crops [picture, x, y] of side `size`, as `<picture>.png` in `folder` (created); returns the folder. */
export function writeSet5Crops(folder: string, crops: readonly (readonly [string, number, number])[], size: number): string {
  mkdirSync(folder, { recursive: true });
  for (const [name, x, y] of crops) writePng(join(folder, `${name}.png`), crop(readImage(join(BENCHMARK_DIR, "Set5", `${name}.png`)), x, y, size, size));
  return folder;
}

/** An untrained ×2 teacher (seed 11) saved as `path`: enough for a student to distil from. Returns the path. */
export async function saveUntrainedTeacher(path: string): Promise<string> {
  const cpu = await createBackend("cpu");
  const teacher = new PisrModel("teacher", { scale: 2 }, { seed: 11, backend: cpu });
  await saveModel(path, teacher);
  teacher.dispose();
  cpu.destroy();
  return path;
}
