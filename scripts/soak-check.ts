#!/usr/bin/env bun
// Reads the health.jsonl of a training run (one row per checkpoint: RSS, the engine's live and pooled buffers,
// native WebGPU handles, dispatches per step) and says whether everything stayed flat after the warm-up.
// A soak is a real training run in one process (bench/SOAK.md lists the commands); this is its verdict.
//
//   bun scripts/soak-check.ts RUN_DIR [--warmup STEPS] [--markdown]
//
// Flat means: live/pooled buffers and native handles identical at every checkpoint after the warm-up, dispatches
// and submits per step within 5% of each other (an interval that holds a validation pass does a little more
// work), and RSS within 5% (+ 32 MB) of its first post-warm-up value. Exit 1 when not flat.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: v, positionals } = parseArgs({
  args: process.argv.slice(2), allowPositionals: true, strict: true,
  options: { warmup: { type: "string" }, markdown: { type: "boolean" } },
});
const dir = positionals[0];
if (!dir) {
  console.error("usage: bun scripts/soak-check.ts RUN_DIR [--warmup STEPS] [--markdown]");
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
for (const key of ["dispatches_per_step", "submits_per_step"]) {
  const values = after.map((r) => r[key]).filter((x) => x !== undefined);
  if (values.length && Math.max(...values) > 1.05 * Math.min(...values)) problems.push(`${key} ranges over ${Math.min(...values)}–${Math.max(...values)}`);
}
const rss0 = after[0].rss_mb;
const rssMax = Math.max(...after.map((r) => r.rss_mb));
if (rssMax > rss0 * 1.05 + 32) problems.push(`RSS grew from ${rss0} MB to ${rssMax} MB`);

const cols = ["step", "rss_mb", "heap_mb", "live_buffers", "pooled_buffers", "pooled_mb", "native_handles", "dispatches_per_step", "submits_per_step", "bind_groups"];
// one row per 1000 steps (and the last), as the soak log asks
const shown = rows.filter((r, i) => r.step % 1000 === 0 || i === rows.length - 1);
const table = [`| ${cols.join(" | ")} |`, `|${cols.map(() => "---:").join("|")}|`, ...shown.map((r) => `| ${cols.map((c) => r[c] ?? "").join(" | ")} |`)];
const verdict = problems.length ? `NOT FLAT after step ${warmup}: ${problems.join("; ")}` : `flat after step ${warmup} (${after.length} checkpoints up to step ${after.at(-1)!.step}; RSS ${rss0}–${rssMax} MB)`;
console.log(v.markdown ? `${table.join("\n")}\n\n${verdict}` : `${dir}: ${verdict}\n${table.join("\n")}`);
process.exit(problems.length ? 1 : 0);
