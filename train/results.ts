// `results`: the shipped ×4 weights against bicubic on the benchmark sets (the table of RESULTS.md, recomputed)
// and one picture upscaled by each, next to its ground truth. This is the project's main job: what the
// trained networks do, in a few minutes, without training anything.

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { BackendChoice } from "../engine/init.ts";
import { createBackend } from "../engine/index.ts";
import { rgbToYcbcr, splitChannels, toY } from "../image/color.ts";
import { modcrop } from "../image/crop.ts";
import { readImage } from "../image/decode.ts";
import { writePng } from "../image/encode.ts";
import type { SetResult } from "../image/evaluate.ts";
import { psnr } from "../image/metrics.ts";
import { REPO_ROOT } from "../image/paths.ts";
import { sideBySide } from "../image/montage.ts";
import { imresize } from "../image/resize.ts";
import type { Image } from "../image/types.ts";
import { upscaleImage } from "../infer/upscale.ts";
import { loadModel } from "./models-io.ts";
import { shippedFile } from "./shipped.ts";

export interface ResultsRow {
  name: string;
  results: SetResult[];
}

/** Markers around the table in RESULTS.md that `results` recomputes. */
export const TABLE_START = "<!-- results-table: recomputed by `npm run pisr` -->";
export const TABLE_END = "<!-- /results-table -->";

/** The shipped models to evaluate, as [label, path], in table order; only those present. */
export function shippedRows(scale: number): [string, string][] {
  const rows: [string, string][] = [];
  for (const [kind, label] of [["baseline", "FSRCNN baseline"], ["student", "FSRCNN PISR student"]] as const) {
    const path = shippedFile(kind, scale);
    if (existsSync(path)) rows.push([label, path]);
  }
  return rows;
}

/** The table block of RESULTS.md (between the markers), or null. */
export function recordedTable(path = join(REPO_ROOT, "RESULTS.md")): string | null {
  if (!existsSync(path)) return null;
  const text = readFileSync(path, "utf8");
  const a = text.indexOf(TABLE_START), b = text.indexOf(TABLE_END);
  return a >= 0 && b > a ? text.slice(a + TABLE_START.length, b).trim() : null;
}

/**
 * One picture at ×scale: its bicubic LR (the input), the bicubic and network upscales, and the ground truth,
 * as PNGs in `out`, and all of them side by side (bicubic, each model in order, ground truth) in one more;
 * returns each file with its Y-PSNR against the ground truth.
 */
export async function upscaleSample(
  sample: string, scale: number, models: [string, string][], out: string, backendChoice: BackendChoice,
): Promise<{ file: string; psnr: number | null }[]> {
  mkdirSync(out, { recursive: true });
  const hr = modcrop(readImage(sample), scale);
  const lr = imresize(hr, 1 / scale);
  const stem = basename(sample).replace(/\.[^.]+$/, "");
  const hrY = toY(hr);
  const yOf = (img: Image) => (img.channels === 1 ? img : splitChannels(rgbToYcbcr(img))[0]);
  const written: { file: string; psnr: number | null }[] = [];
  const upscales: Image[] = [];
  const save = (name: string, img: Image, measured: boolean) => {
    const file = join(out, `${stem}-${name}.png`);
    writePng(file, img);
    written.push({ file, psnr: measured ? psnr(yOf(img), hrY, { shave: scale, quantize: true }) : null });
    if (measured) upscales.push(img);
  };
  save("lr", lr, false);
  save("hr", hr, false);
  save(`x${scale}-bicubic`, imresize(lr, scale), true);
  const backend = await createBackend(backendChoice);
  try {
    for (const [label, path] of models) {
      const { model } = await loadModel(path, backend);
      save(`x${scale}-${label.split(" ").at(-1)}`, await upscaleImage(model, backend, lr), true);
      model.dispose();
    }
  } finally {
    backend.destroy();
  }
  save(`x${scale}-side-by-side`, sideBySide([...upscales, hr]), false);
  return written;
}
