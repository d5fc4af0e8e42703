#!/usr/bin/env bun
// What a PISR teacher's encoder makes of a picture: the LR-sized map it squeezes the HR image into (the
// privileged information the decoder sees), next to the bicubic LR image the imitation loss pulls it towards.
// Writes <out>-encoded.png and <out>-bicubic.png (Y channel) and prints how far apart they are.
//
//   bun scripts/teacher-encoding.ts TEACHER.safetensors IMAGE OUT_PREFIX [--backend B]

import { parseArgs } from "node:util";
import { createBackend, noGrad, Tensor, tidy } from "../engine/index.ts";
import type { BackendChoice } from "../engine/init.ts";
import { toY } from "../image/color.ts";
import { modcrop } from "../image/crop.ts";
import { readImage } from "../image/decode.ts";
import { writePng } from "../image/encode.ts";
import { psnr } from "../image/metrics.ts";
import { imresize } from "../image/resize.ts";
import { makePlane } from "../image/types.ts";
import { loadModel } from "../train/models-io.ts";

const { values: v, positionals } = parseArgs({ args: process.argv.slice(2), allowPositionals: true, strict: true, options: { backend: { type: "string" } } });
const [teacherPath, imagePath, prefix] = positionals;
if (!teacherPath || !imagePath || !prefix) {
  console.error("usage: bun scripts/teacher-encoding.ts TEACHER.safetensors IMAGE OUT_PREFIX [--backend B]");
  process.exit(2);
}
const backend = await createBackend((v.backend ?? "auto") as BackendChoice);
try {
  const { model } = await loadModel(teacherPath, backend, "teacher");
  const scale = model.config.scale;
  const hrY = toY(modcrop(readImage(imagePath), scale));
  const encoded = tidy(() => noGrad(() => model.features(Tensor.fromArray(hrY.data, [1, 1, hrY.height, hrY.width], { backend })).encoder!));
  const enc = makePlane(hrY.width / scale, hrY.height / scale, await encoded.toArray());
  encoded.dispose();
  const bicubic = imresize(hrY, 1 / scale);
  writePng(`${prefix}-encoded.png`, enc);
  writePng(`${prefix}-bicubic.png`, bicubic);
  let l1 = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < enc.data.length; i++) {
    l1 += Math.abs(enc.data[i] - bicubic.data[i]);
    min = Math.min(min, enc.data[i]);
    max = Math.max(max, enc.data[i]);
  }
  console.log(`${prefix}-encoded.png (${enc.width}×${enc.height}) vs ${prefix}-bicubic.png: mean |difference| ${(l1 / enc.data.length).toFixed(4)}, ` +
    `PSNR ${psnr(enc, bicubic, { quantize: true }).toFixed(2)} dB, encoded range ${min.toFixed(3)} … ${max.toFixed(3)} (PNG clamps to 0 … 1)`);
  model.dispose();
} finally {
  backend.destroy();
}
