#!/usr/bin/env bun
// The PISR command line: teacher | student | baseline | eval | upscale | results | compare | pipeline. `--help` on each.

import { existsSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { BackendChoice } from "../engine/init.ts";
import { BENCHMARK_DIR, TRAIN_DIR } from "../image/paths.ts";
import { die, num, positiveInt, scaleOption } from "./cli-args.ts";
import { defaultConfig, epochsForSteps, totalSteps, type TrainConfig, withDefaults } from "./config.ts";
import { evaluateModel, formatTable, resolveSets, setName } from "./evaluate-model.ts";
import { recordedTable, shippedRows, upscaleSample } from "./results.ts";
import { UPSCALE_HELP, upscaleCommand } from "./upscale-command.ts";
import { compareCommand } from "./compare-command.ts";
import { train } from "./trainer.ts";

const HELP: Record<string, string> = {
  main: `usage: bun train/cli.ts <command> [options]
commands:
  teacher    train the PISR teacher (encoder sees HR + decoder: FSRCNN, or --arch)
  student    train a student from a teacher (VID distillation, or --distill output|hint|none)
  baseline   train the decoder's network alone with the same recipe
  eval       PSNR/SSIM of a checkpoint (or "bicubic") on benchmark folders
  upscale    upscale a PNG/JPEG with a checkpoint
  results    the shipped ×4 weights vs bicubic on the benchmark sets, and one picture upscaled by each
  compare    is model A better than B? per set, the mean per-image PSNR gap with a 95% interval
  pipeline   a short real PISR run: teacher → student → baseline → eval table
run "bun train/cli.ts <command> --help" for its options`,
  train: `options (official PISR defaults in brackets):
  --arch A             fsrcnn | vdsr | idn | carn | carn-m [fsrcnn]: the network (a teacher's decoder;
                       a student and its teacher have the same); CARN and CARN-M train on RGB, the rest on Y
  --scale N            2, 3 or 4 [2]
  --patch N            HR patch side [192]
  --batch N            patches per step [16]
  --lr X               initial learning rate [1e-3]; Adam(0.9, 0.999)
  --lr-min X           cosine-annealing floor, stepped per epoch [1e-5]
  --epochs N           [1000]
  --iters-per-epoch N  [1000]
  --steps N            total steps instead of --epochs: a whole number of epochs, or one shorter epoch
  --checkpoint-every N a checkpoint (last + resume) every N steps [500] …
  --checkpoint-minutes M … or every M minutes, whichever comes first [10]
  --seed N             [0]
  --backend B          webgpu | cpu | auto [auto]
  --train DIR          training images (repeatable) [../shared/data/train/bsds400 + sunhays80]
  --val DIR            validation set [../shared/data/benchmark/Set5 when present]
  --val-limit N        validation images per epoch [5]
  --out RUN_DIR        run directory (config, metrics.jsonl, last/best checkpoints, curves.svg)
  --resume RUN_DIR     continue the run in RUN_DIR exactly (after Ctrl-C, kill, a crash, or on another machine);
                       with --epochs or --steps (and --iters-per-epoch) it extends the schedule: the cosine
                       learning rate is recomputed over the new length from the step reached. Also allowed:
                       --backend, --checkpoint-every, --checkpoint-minutes; any other option is refused
  --teacher CKPT       (student) the teacher checkpoint; every layer starts from its decoder (--init teacher)
  --lambda-imitation X (teacher) weight of L1(encoder(HR), bicubic LR) [1e-4]
  --lambda-vid X       (student) weight of the VID loss [1e-6]
  --vid-pdf P          (student) laplace | gaussian [laplace]
  --distill D          (student) vid | output | hint | none [vid]: VID on the distilled features (PISR;
                       FSRCNN: expanding; models/registry.ts names each network's layer),
                       the teacher's HR output as a target, a FitNets hint, or reconstruction only
  --init I             (student) teacher | random [teacher]: start from the teacher's decoder or not
  --lambda-distill X   (student) weight of the output or hint term [1]
  --output-norm N      (student) l1 | l2 for --distill output [l1]`,
  eval: `usage: bun train/cli.ts eval --model CKPT|bicubic [--scale N] [--sets DIR,DIR… | names] [--backend B] [--csv FILE] [--limit N]
  sets default to Set5,Set14,B100,Urban100 under ../shared/data/benchmark`,
  upscale: UPSCALE_HELP,
  results: `usage: bun train/cli.ts results [--sets DIR,DIR… | names] [--sample IMAGE] [--out DIR] [--backend B] [--limit N]
  evaluates bicubic and the shipped ×4 baseline and PISR student (weights/) on Set5, Set14, B100, Urban100 (the
  table of RESULTS.md, recomputed), and upscales --sample [Set14/comic.png] with each into --out [runs/results-x4],
  each upscale by itself and all side by side (bicubic, the models, the original)`,
  pipeline: `usage: bun train/cli.ts pipeline [--scale N] [--steps N] [--patch N] [--batch N] [--out DIR] [--backend B] [--train DIR…]
  trains teacher, student and baseline for --steps each [200] (HR patch 64, batch 8: minutes on a CPU-only machine) and prints the PSNR/SSIM table on the benchmark sets`,
};

const trainOptions = {
  arch: { type: "string" }, scale: { type: "string" }, patch: { type: "string" }, batch: { type: "string" }, lr: { type: "string" }, "lr-min": { type: "string" },
  epochs: { type: "string" }, "iters-per-epoch": { type: "string" }, seed: { type: "string" }, backend: { type: "string" },
  train: { type: "string", multiple: true }, val: { type: "string" }, "val-limit": { type: "string" }, out: { type: "string" },
  resume: { type: "string" }, teacher: { type: "string" }, "lambda-imitation": { type: "string" }, "lambda-vid": { type: "string" },
  "vid-pdf": { type: "string" }, distill: { type: "string" }, init: { type: "string" }, "lambda-distill": { type: "string" },
  "output-norm": { type: "string" }, steps: { type: "string" }, "checkpoint-every": { type: "string" }, "checkpoint-minutes": { type: "string" },
  help: { type: "boolean" },
} as const;

/** The training options of one stage: lines marked "(teacher)" or "(student)" only where they apply. */
function stageHelp(mode: TrainConfig["mode"]): string {
  let keep = true; // a continuation line (no option of its own) goes with the option above it
  return HELP.train.split("\n").filter((line) => {
    if (/^\s+--/.test(line)) {
      const only = /^\s+--\S+(?: \S+)?\s+\((teacher|student)\)/.exec(line)?.[1];
      keep = !only || only === mode;
    }
    return keep;
  }).map((line) => line.replace(/\((teacher|student)\) /, "")).join("\n");
}

/** What --resume may change: the schedule's length (an explicit extension) and how the run is executed. */
const RESUME_OPTIONS = new Set(["resume", "epochs", "iters-per-epoch", "steps", "backend", "checkpoint-every", "checkpoint-minutes"]);

function defaultTrainDirs(): string[] {
  return ["bsds400", "sunhays80"].map((d) => join(TRAIN_DIR, d)).filter(existsSync);
}

function defaultVal(): string | null {
  const d = join(BENCHMARK_DIR, "Set5");
  return existsSync(d) ? d : null;
}

/**
 * The schedule's length from --steps, or --epochs/--iters-per-epoch, over `base`. A resumed run keeps its epoch
 * length unless --iters-per-epoch says otherwise; a new one takes 1000-step epochs (or one shorter epoch).
 */
function schedule(v: { steps?: string; epochs?: string; "iters-per-epoch"?: string }, base: TrainConfig, resuming = false): { epochs: number; itersPerEpoch: number } {
  const iters = v["iters-per-epoch"] === undefined ? undefined : num(v["iters-per-epoch"], "iters-per-epoch", 0);
  if (v.steps !== undefined) {
    if (v.epochs !== undefined) die("give --steps or --epochs, not both");
    try {
      return epochsForSteps(num(v.steps, "steps", 0), iters ?? (resuming ? base.itersPerEpoch : undefined));
    } catch (e) {
      die((e as Error).message);
    }
  }
  return { epochs: num(v.epochs, "epochs", base.epochs), itersPerEpoch: iters ?? base.itersPerEpoch };
}

async function resumeCommand(dir: string, v: Record<string, string | string[] | boolean | undefined>): Promise<TrainConfig> {
  const refused = Object.keys(v).filter((k) => v[k] !== undefined && !RESUME_OPTIONS.has(k));
  if (refused.length) {
    die(`--resume continues ${dir} with its own recipe; ${refused.map((k) => `--${k}`).join(", ")} cannot be changed (only --epochs, --steps, --iters-per-epoch, --backend, --checkpoint-every, --checkpoint-minutes)`);
  }
  const configPath = join(dir, "config.json");
  if (!existsSync(configPath)) die(`${dir}: no config.json to resume from`);
  let stored: TrainConfig;
  try {
    stored = withDefaults(JSON.parse(readFileSync(configPath, "utf8")));
  } catch (e) {
    die(`${configPath}: ${(e as Error).message}`);
  }
  const str = v as Record<string, string | undefined>;
  const before = totalSteps(stored);
  // the run is where it is now, whatever directory it was trained in
  const cfg: TrainConfig = {
    ...stored, ...schedule(str, stored, true), out: dir, backend: (str.backend ?? stored.backend) as BackendChoice,
    checkpointEvery: num(str["checkpoint-every"], "checkpoint-every", stored.checkpointEvery),
    checkpointMinutes: num(str["checkpoint-minutes"], "checkpoint-minutes", stored.checkpointMinutes),
  };
  if (totalSteps(cfg) !== before) console.log(`schedule of ${dir}: ${before} → ${totalSteps(cfg)} steps (${cfg.epochs} epochs × ${cfg.itersPerEpoch}); the cosine learning rate follows the new length`);
  return cfg;
}

async function trainCommand(mode: TrainConfig["mode"], argv: string[]): Promise<void> {
  const { values: v } = parseArgs({ args: argv, options: trainOptions, strict: true });
  if (v.help) return console.log(`usage: bun train/cli.ts ${mode} [options]\n${stageHelp(mode)}`);
  if (v.resume) {
    const cfg = await resumeCommand(v.resume, v);
    if (cfg.mode !== mode) die(`${v.resume} is a ${cfg.mode} run, not a ${mode} run: use "${cfg.mode} --resume ${v.resume}"`);
    await train(cfg, { resume: true });
    return;
  }
  const d = defaultConfig(mode);
  const cfg: TrainConfig = {
    ...d, arch: (v.arch ?? d.arch) as TrainConfig["arch"],
    scale: num(v.scale, "scale", d.scale), patch: num(v.patch, "patch", d.patch), batch: num(v.batch, "batch", d.batch),
    lr: num(v.lr, "lr", d.lr), lrMin: num(v["lr-min"], "lr-min", d.lrMin), ...schedule(v, d), seed: num(v.seed, "seed", d.seed),
    backend: (v.backend ?? d.backend) as BackendChoice, train: v.train ?? defaultTrainDirs(), val: v.val ?? defaultVal(),
    valLimit: num(v["val-limit"], "val-limit", d.valLimit), out: v.out ?? `runs/${v.arch && v.arch !== "fsrcnn" ? `${v.arch}-` : ""}${mode}-x${v.scale ?? d.scale}`, teacher: v.teacher ?? null,
    lambdaImitation: num(v["lambda-imitation"], "lambda-imitation", d.lambdaImitation), lambdaVid: num(v["lambda-vid"], "lambda-vid", d.lambdaVid),
    vidPdf: (v["vid-pdf"] ?? d.vidPdf) as TrainConfig["vidPdf"],
    distill: (v.distill ?? d.distill) as TrainConfig["distill"], init: (v.init ?? d.init) as TrainConfig["init"],
    lambdaDistill: num(v["lambda-distill"], "lambda-distill", d.lambdaDistill), outputNorm: (v["output-norm"] ?? d.outputNorm) as TrainConfig["outputNorm"],
    checkpointEvery: num(v["checkpoint-every"], "checkpoint-every", d.checkpointEvery), checkpointMinutes: num(v["checkpoint-minutes"], "checkpoint-minutes", d.checkpointMinutes),
  };
  if (!cfg.train.length) die(`no training images: pass --train DIR (the default ${TRAIN_DIR} is absent)`);
  await train(cfg);
}

async function evalCommand(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv, strict: true,
    options: { model: { type: "string" }, scale: { type: "string" }, sets: { type: "string" }, backend: { type: "string" }, csv: { type: "string" },
      limit: { type: "string" }, help: { type: "boolean" } },
  });
  if (v.help) return console.log(HELP.eval);
  if (!v.model) {
    console.error(HELP.eval);
    die("eval needs --model CKPT or --model bicubic");
  }
  const scale = scaleOption(v.scale);
  const limit = positiveInt(v.limit, "limit", " (images per set)");
  const results = await evaluateModel(v.model, resolveSets(v.sets), scale, (v.backend ?? "auto") as BackendChoice, limit);
  console.log(formatTable([{ name: v.model, results }]));
  if (v.csv) {
    const lines = ["set,image,psnr,ssim", ...results.flatMap((s) => s.images.map((i) => `${setName(s)},${i.name},${i.psnr},${i.ssim}`))];
    writeFileSync(v.csv, lines.join("\n") + "\n");
  }
}

async function resultsCommand(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv, strict: true,
    options: { sets: { type: "string" }, sample: { type: "string" }, out: { type: "string" }, backend: { type: "string" }, limit: { type: "string" }, help: { type: "boolean" } },
  });
  if (v.help) return console.log(HELP.results);
  const scale = 4;
  const models = shippedRows(scale);
  if (!models.length) die(`no shipped ×${scale} weights in weights/ (scripts/ship-weights.ts writes them from a trained run)`);
  const sets = resolveSets(v.sets);
  const limit = v.limit === undefined ? undefined : num(v.limit, "limit", 0);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) die(`--limit must be a positive integer, got ${v.limit}`);
  const backend = (v.backend ?? "auto") as BackendChoice;
  const sample = v.sample ?? join(BENCHMARK_DIR, "Set14", "comic.png");
  if (!existsSync(sample)) die(`--sample ${sample}: file not found`);
  const out = v.out ?? "runs/results-x4";

  const rows = [{ name: "bicubic", results: await evaluateModel("bicubic", sets, scale, backend, limit) }];
  for (const [name, path] of models) rows.push({ name, results: await evaluateModel(path, sets, scale, backend, limit) });
  const table = formatTable(rows);
  console.log(`\nY-channel PSNR / SSIM, ×${scale}, shipped weights (${models.map(([, p]) => basename(p)).join(", ")}):\n${table}`);
  const recorded = recordedTable();
  if (limit === undefined && !v.sets && recorded !== null) {
    console.log(recorded === table ? "\n(identical to the table in RESULTS.md)" : `\nnote: RESULTS.md records a different table:\n${recorded}`);
  }
  console.log(`\n${basename(sample)} at ×${scale} (Y-PSNR against the original):`);
  for (const { file, psnr } of await upscaleSample(sample, scale, models, out, backend)) {
    console.log(`  ${file}${psnr === null ? "" : `  ${psnr.toFixed(2)} dB`}`);
  }
}

async function pipelineCommand(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv, strict: true,
    options: { scale: { type: "string" }, steps: { type: "string" }, patch: { type: "string" }, batch: { type: "string" }, out: { type: "string" },
      backend: { type: "string" }, train: { type: "string", multiple: true }, sets: { type: "string" }, limit: { type: "string" }, help: { type: "boolean" } },
  });
  if (v.help) return console.log(HELP.pipeline);
  const trainDirs = v.train ?? defaultTrainDirs();
  if (!trainDirs.length) {
    die(`no training images found at ${TRAIN_DIR}. Point the pipeline at your own data: bun train/cli.ts pipeline --train DIR [--train DIR…] --sets DIR,DIR…`);
  }
  const scale = num(v.scale, "scale", 2), steps = num(v.steps, "steps", 200);
  const out = v.out ?? `runs/pipeline-x${scale}-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  const base: TrainConfig = {
    ...defaultConfig("teacher"), scale, patch: num(v.patch, "patch", 64), batch: num(v.batch, "batch", 8), epochs: 1, itersPerEpoch: steps,
    backend: (v.backend ?? "auto") as BackendChoice, train: trainDirs, val: defaultVal(), valLimit: 5, out: "",
  };
  console.log(`PISR pipeline ×${scale}: ${steps} steps per stage, patch ${base.patch}, batch ${base.batch} → ${out}`);
  // an interrupted stage ends the pipeline: the next stages must not train from a half-trained teacher
  for (const stage of ["teacher", "student", "baseline"] as const) {
    const teacher = stage === "student" ? join(out, "teacher", "last.safetensors") : null;
    const r = await train({ ...base, mode: stage, teacher, out: join(out, stage) });
    if (!r.complete) {
      console.log(`pipeline stopped during the ${stage} stage (${r.interrupted ?? "stopped"} at step ${r.steps}); resume it with: bun train/cli.ts ${stage} --resume ${join(out, stage)}`);
      return;
    }
  }
  const sets = resolveSets(v.sets);
  const limit = v.limit ? num(v.limit, "limit", 0) : undefined;
  const rows = [{ name: "bicubic", results: await evaluateModel("bicubic", sets, scale, base.backend, limit) }];
  for (const stage of ["baseline", "student"]) {
    rows.push({ name: `FSRCNN ${stage === "student" ? "PISR student" : "baseline"}`, results: await evaluateModel(join(out, stage, "last.safetensors"), sets, scale, base.backend, limit) });
  }
  const table = formatTable(rows);
  writeFileSync(join(out, "results.md"), table + "\n");
  console.log(`\nY-channel PSNR / SSIM, ×${scale} (${steps} steps per stage; the paper trains 1000 epochs × 1000 steps):\n${table}`);
}

/** Runs one command line (without the runtime and script); errors exit 2 with an `error:` line. */
export function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const run = async () => {
    switch (command) {
      case "teacher": case "student": case "baseline": return trainCommand(command, rest);
      case "eval": return evalCommand(rest);
      case "upscale": return upscaleCommand(rest);
      case "pipeline": return pipelineCommand(rest);
      case "results": return resultsCommand(rest);
      case "compare": return compareCommand(rest);
      case "--help": case "-h": case "help": return console.log(HELP.main);
      case undefined:
        console.error(HELP.main);
        return die("no command given");
      default: die(`unknown command "${command}"\n${HELP.main}`);
    }
  };
  return run().catch((e: Error) => die(e.message));
}

/**
 * This module is the program (`bun train/cli.ts`, or the package's bin under Node), not an import. Not
 * `import.meta.main`: Bun's bundler turns it into CommonJS `require.main`, which an ES module under Node lacks.
 */
function isEntry(): boolean {
  try {
    return realpathSync(process.argv[1] ?? "") === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntry()) await main(process.argv.slice(2));
