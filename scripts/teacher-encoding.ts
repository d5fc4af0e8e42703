#!/usr/bin/env bun
// What a PISR teacher's encoder makes of a picture: the LR-sized map it squeezes the HR image into (the
// privileged information the decoder sees), next to the bicubic LR image the imitation loss pulls it towards.
// Writes <out>-encoded.png, <out>-encoded-stretched.png (its range mapped onto 0 … 1) and <out>-bicubic.png (Y
// channel) and prints how far apart they are.
//
//   bun scripts/teacher-encoding.ts TEACHER.safetensors IMAGE OUT_PREFIX [--backend B] [--scale N]

import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createBackend, noGrad, Tensor, tidy } from "../engine/index.ts";
import type { BackendChoice } from "../engine/init.ts";
import { toY } from "../image/color.ts";
import { modcrop } from "../image/crop.ts";
import { readImage } from "../image/decode.ts";
import { writePng } from "../image/encode.ts";
import { psnr } from "../image/metrics.ts";
import { imresize } from "../image/resize.ts";
import { makePlane, type Plane } from "../image/types.ts";
import { die, parseFlags, scaleOption } from "../train/cli-args.ts";
import { loadModel } from "../train/models-io.ts";

async function main(argv: string[]): Promise<void> {
  const usage = "bun scripts/teacher-encoding.ts TEACHER.safetensors IMAGE OUT_PREFIX [--backend B] [--scale N]";
  const { values: v, positionals } = parseFlags({ args: argv, allowPositionals: true, strict: true, options: { backend: { type: "string" }, scale: { type: "string" } } }, usage);
  const [teacherPath, imagePath, prefix] = positionals;
  if (!teacherPath || !imagePath || !prefix) die(`TEACHER.safetensors, IMAGE and OUT_PREFIX are required\nusage: ${usage}`);
  if (!existsSync(teacherPath)) die(`${teacherPath}: no such teacher checkpoint`);
  if (!existsSync(imagePath)) die(`${imagePath}: no such image`);
  // a checkpoint converted from the official code has no header to say its factor
  const scale = scaleOption(v.scale);
  const backend = await createBackend((v.backend ?? "auto") as BackendChoice);
  try {
    const { model } = await loadModel(teacherPath, backend, "teacher", { scale });
    const s = model.config.scale;
    const hrY = toY(modcrop(readImage(imagePath), s));
    const encoded = tidy(() => noGrad(() => model.features(Tensor.fromArray(hrY.data, [1, 1, hrY.height, hrY.width], { backend })).encoder!));
    const enc = makePlane(hrY.width / s, hrY.height / s, await encoded.toArray());
    encoded.dispose();
    const bicubic = imresize(hrY, 1 / s);
    const stats = encodingStats(enc, bicubic);
    mkdirSync(dirname(prefix), { recursive: true }); // OUT_PREFIX may name a folder that is not there yet
    writePng(`${prefix}-encoded.png`, enc);
    writePng(`${prefix}-encoded-stretched.png`, stretched(enc, stats.min, stats.max));
    writePng(`${prefix}-bicubic.png`, bicubic);
    console.log(`${prefix}-encoded.png (${enc.width}×${enc.height}) vs ${prefix}-bicubic.png: mean |difference| ${stats.meanAbsDiff.toFixed(4)}, ` +
      `PSNR ${psnr(enc, bicubic, { quantize: true }).toFixed(2)} dB, correlation ${stats.correlation.toFixed(4)}, ` +
      `encoded range ${stats.min.toFixed(3)} … ${stats.max.toFixed(3)} (the PNG clamps to 0 … 1; -encoded-stretched.png maps the range onto it)`);
    model.dispose();
  } finally {
    backend.destroy();
  }
}

/**
 * How far the encoding is from the bicubic LR: mean |difference|, Pearson correlation (1: the same picture up to
 * brightness and contrast), and the encoding's range.
 */
export function encodingStats(enc: Plane, bicubic: Plane): { meanAbsDiff: number; correlation: number; min: number; max: number } {
  const n = enc.data.length;
  let l1 = 0, min = Infinity, max = -Infinity, se = 0, sb = 0;
  for (let i = 0; i < n; i++) {
    l1 += Math.abs(enc.data[i] - bicubic.data[i]);
    min = Math.min(min, enc.data[i]);
    max = Math.max(max, enc.data[i]);
    se += enc.data[i];
    sb += bicubic.data[i];
  }
  const me = se / n, mb = sb / n;
  let cov = 0, ve = 0, vb = 0;
  for (let i = 0; i < n; i++) {
    const de = enc.data[i] - me, db = bicubic.data[i] - mb;
    cov += de * db;
    ve += de * de;
    vb += db * db;
  }
  return { meanAbsDiff: l1 / n, correlation: ve > 0 && vb > 0 ? cov / Math.sqrt(ve * vb) : 0, min, max };
}

/** The plane with [lo, hi] mapped onto [0, 1], so that an encoding outside the image range can be looked at. */
export function stretched(p: Plane, lo: number, hi: number): Plane {
  const span = hi > lo ? hi - lo : 1;
  return makePlane(p.width, p.height, p.data.map((v) => (v - lo) / span));
}

if (import.meta.main) await main(process.argv.slice(2)).catch((e: Error) => die(e.message));
