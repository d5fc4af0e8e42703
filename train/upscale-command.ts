// `upscale`: one image or a folder of them, with the shipped ×4 weights, a checkpoint, or bicubic. The output
// format follows the extension (PNG; JPEG with --quality), the input is never overwritten without
// --overwrite, and everything is checked before the first image is written.

import { existsSync, mkdirSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createBackend } from "../engine/index.ts";
import type { BackendChoice } from "../engine/init.ts";
import { mergeChannels, splitChannels } from "../image/color.ts";
import { readImage } from "../image/decode.ts";
import { formatForPath, writeImage } from "../image/encode.ts";
import { listImages } from "../image/files.ts";
import { imresizeRows } from "../image/resize.ts";
import { mergeRows } from "../image/rows.ts";
import type { Image } from "../image/types.ts";
import { die, positiveInt, scaleOption } from "./cli-args.ts";
import { upscaleRows } from "../infer/upscale.ts";
import { loadModel } from "./models-io.ts";
import { defaultWeights } from "./shipped.ts";

export const UPSCALE_HELP = `usage: bun train/cli.ts upscale --input IMAGE|DIR --output OUT|DIR [options]
  --input IMAGE|DIR   a PNG/JPEG, or a folder of them
  --output OUT|DIR    OUT.png, OUT.jpg (format from the extension), or a folder (created; one .png per image)
  --model CKPT        a student or baseline checkpoint, or "bicubic" [the shipped ×4 PISR student in weights/;
                      the ×4 baseline while no student is shipped]
  --scale N           bicubic: the factor [4]; a checkpoint: checked against the one it was trained for
  --quality Q         JPEG quality 1–100 [92]
  --overwrite         allow an output to replace its input
  --backend B         webgpu | cpu | auto [auto]
  --tile N            LR tile side in pixels [the whole image if it fits, else 256 for FSRCNN]
  Y goes through the network, Cb/Cr are upscaled bicubically; large images are processed in tiles`;

interface Job {
  input: string;
  output: string;
}

/** The (input, output) pairs, checked: formats, folders, and no input overwritten unless asked. */
function plan(input: string, output: string, overwrite: boolean): Job[] {
  if (!existsSync(input)) die(`--input ${input}: not found`);
  let jobs: Job[];
  if (statSync(input).isDirectory()) {
    if (existsSync(output) && !statSync(output).isDirectory()) die(`--output ${output}: a file, but --input is a folder: give a folder`);
    let files: string[];
    try {
      files = listImages(input);
    } catch (e) {
      die((e as Error).message);
    }
    jobs = files.map((f) => ({ input: f, output: join(output, `${basename(f).replace(/\.[^.]+$/, "")}.png`) }));
  } else {
    if (existsSync(output) && statSync(output).isDirectory()) jobs = [{ input, output: join(output, `${basename(input).replace(/\.[^.]+$/, "")}.png`) }];
    else {
      try {
        formatForPath(output);
      } catch (e) {
        die((e as Error).message);
      }
      jobs = [{ input, output }];
    }
  }
  for (const j of jobs) {
    if (!overwrite && resolve(j.input) === resolve(j.output)) die(`${j.output} is the input image; pass --overwrite to replace it`);
  }
  return jobs;
}

/** An image with alpha (2 or 4 channels) as its colour and its alpha plane; others as they are. */
function splitAlpha(img: Image): { colour: Image; alpha: Image | null } {
  if (img.channels !== 2 && img.channels !== 4) return { colour: img, alpha: null };
  const planes = splitChannels(img);
  return { colour: mergeChannels(planes.slice(0, -1)), alpha: planes.at(-1)! };
}

/** A one-line progress bar on a terminal; silent otherwise (logs get one line per image). */
function tileProgress(label: string): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (done, total) => {
    if (total < 2) return;
    const width = 24, filled = Math.round((width * done) / total);
    process.stderr.write(`\r${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] tile ${done}/${total}\x1b[K${done === total ? "\r\x1b[K" : ""}`);
  };
}

export async function upscaleCommand(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv, strict: true,
    options: {
      model: { type: "string" }, input: { type: "string" }, output: { type: "string" }, backend: { type: "string" }, tile: { type: "string" },
      scale: { type: "string" }, quality: { type: "string" }, overwrite: { type: "boolean" }, help: { type: "boolean" },
    },
  });
  if (v.help) return console.log(UPSCALE_HELP);
  if (!v.input || !v.output) {
    console.error(UPSCALE_HELP);
    die("upscale needs --input and --output");
  }
  const tile = positiveInt(v.tile, "tile", " (LR pixels)");
  const quality = positiveInt(v.quality, "quality");
  if (quality !== undefined && quality > 100) die(`--quality must be from 1 to 100, got ${v.quality}`);
  const scaleFlag = scaleOption(v.scale);
  const jobs = plan(v.input, v.output, Boolean(v.overwrite));

  let modelPath = v.model;
  if (!modelPath) {
    try {
      modelPath = defaultWeights(scaleFlag ?? 4).path;
    } catch (e) {
      die((e as Error).message);
    }
  }
  const bicubic = modelPath === "bicubic";
  const backend = bicubic ? null : await createBackend((v.backend ?? "auto") as BackendChoice);
  try {
    const net = backend ? (await loadModel(modelPath, backend, undefined, { scale: scaleFlag })).model : null;
    const scale = net?.config.scale ?? scaleFlag ?? 4;
    if (net && scaleFlag !== undefined && scaleFlag !== scale) die(`${modelPath} is a ×${scale} model, not ×${scaleFlag}`);
    const what = bicubic ? "bicubic" : v.model ? modelPath : `the shipped ${basename(modelPath)}`;
    if (jobs.length > 1 || jobs[0].output !== v.output) mkdirSync(v.output, { recursive: true });
    for (const [i, job] of jobs.entries()) {
      try {
        await upscaleOne(job, i);
      } catch (e) {
        const msg = (e as Error).message;
        die(msg.startsWith(job.input) || msg.startsWith(job.output) ? msg : `${job.input}: ${msg}`);
      }
    }
    async function upscaleOne(job: Job, i: number): Promise<void> {
      const t0 = performance.now();
      // alpha is kept where the output can hold it (PNG), and upscaled bicubically beside the colour
      const img: Image = readImage(job.input, { alpha: formatForPath(job.output) === "png" });
      const label = jobs.length > 1 ? `[${i + 1}/${jobs.length}] ${basename(job.input)}` : basename(job.input);
      const { colour, alpha } = splitAlpha(img);
      // row by row into the encoder: an upscaled photo is never whole in memory as float RGB
      let out = net ? await upscaleRows(net, backend!, colour, { tile, onTile: tileProgress(label) }) : imresizeRows(colour, scale);
      if (alpha) out = mergeRows([out, imresizeRows(alpha, scale)]);
      writeImage(job.output, out, { quality });
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      console.log(`${jobs.length > 1 ? `[${i + 1}/${jobs.length}] ` : ""}${job.input} (${img.width}×${img.height}) → ${job.output} (${out.width}×${out.height}) in ${secs} s`);
    }
    console.log(`×${scale} with ${what}${backend ? ` on ${backend.description}` : ""}`);
    net?.dispose();
  } finally {
    backend?.destroy();
  }
}
