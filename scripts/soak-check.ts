#!/usr/bin/env bun
// Reads the health.jsonl of a training run (one row per checkpoint: RSS, the engine's live and pooled buffers,
// native WebGPU handles, dispatches per step) and says whether everything stayed flat after the warm-up.
// A soak is a real training run in one process (bench/SOAK.md lists the commands); this is its verdict.
//
//   bun scripts/soak-check.ts RUN_DIR [--warmup STEPS] [--markdown]
//
// Flat means: live/pooled buffers and native handles identical at every checkpoint after the warm-up, the
// dispatches of each 1000 steps (one validation included) within 1% of each other, and RSS within 5% (+ 32 MB)
// of its first post-warm-up value. Exit 1 when not flat.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseFlags } from "../train/cli-args.ts";

const USAGE = "bun scripts/soak-check.ts RUN_DIR [--warmup STEPS] [--markdown]";
const { values: v, positionals } = parseFlags({
  args: process.argv.slice(2), allowPositionals: true, strict: true,
  options: { warmup: { type: "string" }, markdown: { type: "boolean" } },
}, USAGE);
const dir = positionals[0];
if (!dir) {
  console.error(`usage: ${USAGE}`);
  process.exit(2);
}
const path = join(dir, "health.jsonl");
if (!existsSync(path)) {
  console.error(`error: ${path} not found (runs write it at every checkpoint)`);
  process.exit(2);
}
const warmup = Number(v.warmup ?? 1000);
const rows = readFileSync(path, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>);
const after = rows.filter((r) => r.step >= warmup);
if (after.length < 2) {
  console.error(`error: ${path}: ${after.length} checkpoint(s) after step ${warmup}; a soak needs at least two`);
  process.exit(2);
}

const problems: string[] = [];
for (const key of ["live_buffers", "pooled_buffers", "native_handles"]) {
  const values = new Set(after.map((r) => r[key]).filter((x) => x !== undefined));
  if (values.size > 1) problems.push(`${key} varies: ${[...values].join(", ")}`);
}
// Work per 1000 steps, from the cumulative counters at each thousandth step: every such span holds the same
// training steps and one validation, whatever the (time-based) checkpoints in between measured.
const thousands = rows.filter((r) => r.step % 1000 === 0 && r.dispatches !== undefined);
const per1000 = thousands.slice(1).map((r, i) => ({ step: r.step, dispatches: r.dispatches - thousands[i].dispatches, submits: r.submits - thousands[i].submits }))
  .filter((r) => r.step > warmup);
// (submits are shown, not judged: each checkpoint reads the weights back, one submit per tensor, and the
// time-based checkpoints fall unevenly into the spans)
const dispatches = per1000.map((r) => r.dispatches);
if (dispatches.length && Math.max(...dispatches) > 1.01 * Math.min(...dispatches)) {
  problems.push(`dispatches per 1000 steps range over ${Math.min(...dispatches)}–${Math.max(...dispatches)}`);
}
const rss0 = after[0].rss_mb;
const rssMax = Math.max(...after.map((r) => r.rss_mb));
if (rssMax > rss0 * 1.05 + 32) problems.push(`RSS grew from ${rss0} MB to ${rssMax} MB`);

const cols = ["step", "rss_mb", "heap_mb", "live_buffers", "pooled_buffers", "pooled_mb", "native_handles", "dispatches_per_step", "submits_per_step", "bind_groups"];
// one row per 1000 steps (and the last), as the soak log asks
const shown = rows.filter((r, i) => r.step % 1000 === 0 || i === rows.length - 1);
const table = [`| ${cols.join(" | ")} |`, `|${cols.map(() => "---:").join("|")}|`, ...shown.map((r) => `| ${cols.map((c) => r[c] ?? "").join(" | ")} |`)];
const workLine = per1000.length
  ? `\nper 1000 steps after the warm-up: ${[...new Set(per1000.map((r) => r.dispatches))].join(" / ")} dispatches, ${[...new Set(per1000.map((r) => r.submits))].join(" / ")} submits`
  : "";
const verdict = problems.length ? `NOT FLAT after step ${warmup}: ${problems.join("; ")}` : `flat after step ${warmup} (${after.length} checkpoints up to step ${after.at(-1)!.step}; RSS ${rss0}–${rssMax} MB)`;
console.log(v.markdown ? `${table.join("\n")}\n\n${verdict}${workLine}` : `${dir}: ${verdict}${workLine}\n${table.join("\n")}`);
process.exit(problems.length ? 1 : 0);
