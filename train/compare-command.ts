// `compare`: is one model better than another on the benchmark sets, or is the gap within what the images
// disagree on? Both are evaluated on the same images; per set, the mean per-image difference of Y-PSNR with a
// 95% interval (paired Student t) and how many images each side wins (train/paired-difference.ts).

import { parseArgs } from "node:util";
import type { BackendChoice } from "../engine/init.ts";
import type { SetResult } from "../image/evaluate.ts";
import { die, positiveInt, scaleOption } from "./cli-args.ts";
import { evaluateModel, resolveSets, setName } from "./evaluate-model.ts";
import { type PairedDifference, pairedDifference, significant } from "./paired-difference.ts";

export const COMPARE_HELP = `usage: bun train/cli.ts compare --model A --against B [options]
  --model A           a checkpoint, or "bicubic"
  --against B         a checkpoint, or "bicubic"
  --scale N           the factor, needed when both are bicubic; else checked against the checkpoints'
  --sets LIST         benchmark folders or names [Set5,Set14,B100,Urban100]
  --limit N           images per set (the first N by name)
  --backend B         webgpu | cpu | auto [auto]
  Per set: A's and B's Y-PSNR, the mean per-image difference A − B with its 95% interval (paired Student t over
  the set's images), and on how many images A is better. The interval says whether the images agree on the gap,
  not whether another training run would: compare two seeds of one recipe for that.`;

export interface SetComparison {
  set: string;
  a: SetResult;
  b: SetResult;
  psnr: PairedDifference;
  ssim: PairedDifference;
}

/** Pairs the two models' per-image results of each set by image name. */
export function compareSets(a: readonly SetResult[], b: readonly SetResult[]): SetComparison[] {
  if (a.length !== b.length) throw new Error(`compare: ${a.length} sets against ${b.length}`);
  return a.map((sa, k) => {
    const sb = b[k];
    const set = setName(sa);
    const byName = new Map(sb.images.map((i) => [i.name, i]));
    const pairs = sa.images.map((i) => {
      const j = byName.get(i.name);
      if (!j) throw new Error(`compare: ${set}/${i.name} was evaluated for one model only`);
      return [i, j] as const;
    });
    if (pairs.length !== sb.images.length) throw new Error(`compare: ${set} has ${sa.images.length} images for one model, ${sb.images.length} for the other`);
    return {
      set, a: sa, b: sb,
      psnr: pairedDifference(pairs.map(([i]) => i.psnr), pairs.map(([, j]) => j.psnr)),
      ssim: pairedDifference(pairs.map(([i]) => i.ssim), pairs.map(([, j]) => j.ssim)),
    };
  });
}

const signed = (v: number, digits: number) => (v >= 0 ? "+" : "−") + Math.abs(v).toFixed(digits);
const between = (p: PairedDifference) => `${signed(p.lo, 3)} … ${signed(p.hi, 3)}`;

/** The comparison as a Markdown table. */
export function formatComparison(rows: readonly SetComparison[]): string {
  const head = "| set | images | A (dB) | B (dB) | A − B (dB) | 95% interval | A better on | SSIM A − B |\n|---|---:|---:|---:|---:|---|---:|---:|";
  const body = rows.map((r) => {
    const p = r.psnr;
    const interval = Number.isNaN(p.lo) ? "— (one image)" : `${between(p)}${significant(p) ? "" : " (includes 0)"}`;
    return `| ${r.set} | ${p.n} | ${r.a.psnr.toFixed(2)} | ${r.b.psnr.toFixed(2)} | ${signed(p.mean, 3)} | ${interval} | ${p.wins} / ${p.n} | ${signed(r.ssim.mean, 4)} |`;
  });
  return [head, ...body].join("\n");
}

/**
 * Several models against one reference, one row each: per set the mean per-image PSNR gap with its 95% interval
 * (an asterisk where the interval excludes zero). For ablation tables (scripts/run-queue.ts `table --against`).
 */
export function formatGapTable(reference: string, rows: readonly { name: string; comparisons: readonly SetComparison[] }[]): string {
  const sets = rows[0]?.comparisons.map((c) => c.set) ?? [];
  const head = `| − ${reference} (dB, 95% interval) | ${sets.join(" | ")} |\n|---|${sets.map(() => "---").join("|")}|`;
  const cell = (p: PairedDifference) =>
    Number.isNaN(p.lo) ? signed(p.mean, 3) : `${signed(p.mean, 3)} (${between(p)})${significant(p) ? " *" : ""}`;
  return [head, ...rows.map((r) => `| ${r.name} | ${r.comparisons.map((c) => cell(c.psnr)).join(" | ")} |`)].join("\n");
}

export async function compareCommand(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv, strict: true,
    options: { model: { type: "string" }, against: { type: "string" }, scale: { type: "string" }, sets: { type: "string" },
      limit: { type: "string" }, backend: { type: "string" }, help: { type: "boolean" } },
  });
  if (v.help) return console.log(COMPARE_HELP);
  if (!v.model || !v.against) {
    console.error(COMPARE_HELP);
    die("compare needs --model A and --against B (checkpoints or \"bicubic\")");
  }
  const given = scaleOption(v.scale);
  const limit = positiveInt(v.limit, "limit", " (images per set)");
  const sets = resolveSets(v.sets);
  if (v.model === "bicubic" && v.against === "bicubic" && given === undefined) die("compare: bicubic against bicubic needs --scale");
  const backend = (v.backend ?? "auto") as BackendChoice;
  // a checkpoint first: its factor is bicubic's when no --scale says it
  const order = v.model === "bicubic" ? ([v.against, v.model] as const) : ([v.model, v.against] as const);
  const first = await evaluateModel(order[0], sets, given, backend, limit);
  const scale = given ?? first[0]?.scale;
  const second = await evaluateModel(order[1], sets, scale, backend, limit);
  const [a, b] = order[0] === v.model ? [first, second] : [second, first];
  console.log(`A: ${v.model}\nB: ${v.against}\n×${scale}, Y-channel PSNR per image, paired over each set's images:\n`);
  console.log(formatComparison(compareSets(a, b)));
}
