#!/usr/bin/env bun
// The ablation table of the distillation issue (×4, HR patch 96, batch 16, 5,000 iterations per row), run one row
// at a time, each resumable across sessions, and evaluated on the four benchmark sets from final checkpoints.
//
//   bun scripts/ablations.ts plan                  # every row: its command and how far it has trained
//   bun scripts/ablations.ts run [--only 1,4,8a]   # trains the unfinished rows in order (resuming), one at a time
//   bun scripts/ablations.ts table [--limit N]     # PSNR/SSIM of the finished rows, as a Markdown table
//
// Rows 2–7 distil the reproduction's 20,000-iteration teacher (runs/x4/teacher: reused, not retrained) and wait
// until it is complete; rows 8a/8b train 5,000-iteration teachers with and without the imitation loss, and
// 8a-student/8b-student distil them. SIGINT/SIGTERM go to the row in training, which checkpoints and stops.

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { BackendChoice } from "../engine/init.ts";
import { BENCHMARK_DIR, REPO_ROOT } from "../image/paths.ts";
import { loadCheckpoint } from "../train/checkpoint.ts";
import { evaluateModel, formatTable } from "../train/cli.ts";
import { totalSteps, withDefaults } from "../train/config.ts";

// repo-relative (the trainer runs in the repository root): config.json then names its teacher portably
const OUT = join("runs", "x4-ablation");
const MAIN_TEACHER = join("runs", "x4", "teacher");
const inRepo = (path: string) => resolve(REPO_ROOT, path);
const STEPS = 5000;
const COMMON = ["--scale", "4", "--patch", "96", "--batch", "16", "--steps", String(STEPS)];

export interface Row {
  id: string;
  label: string;
  stage: "baseline" | "teacher" | "student";
  args: string[];
  /** the run directory of the teacher this row needs complete before it starts */
  needs?: string;
}

const student = (id: string, label: string, teacherRun: string, args: string[]): Row => ({
  id, label, stage: "student", needs: teacherRun, args: ["--teacher", join(teacherRun, "last.safetensors"), ...args],
});

export const ROWS: Row[] = [
  { id: "1", label: "baseline (random init, no distillation)", stage: "baseline", args: [] },
  { id: "1-seed1", label: "baseline, seed 1", stage: "baseline", args: ["--seed", "1"] },
  student("2", "init from the teacher only", MAIN_TEACHER, ["--distill", "none", "--init", "teacher"]),
  student("3", "VID (Laplace), random init", MAIN_TEACHER, ["--distill", "vid", "--init", "random"]),
  student("4", "VID (Laplace) + init: PISR", MAIN_TEACHER, ["--distill", "vid", "--init", "teacher"]),
  student("4-seed1", "PISR, seed 1", MAIN_TEACHER, ["--distill", "vid", "--init", "teacher", "--seed", "1"]),
  student("5", "VID (Gaussian) + init", MAIN_TEACHER, ["--distill", "vid", "--vid-pdf", "gaussian", "--init", "teacher"]),
  student("6", "output distillation (L1) + init", MAIN_TEACHER, ["--distill", "output", "--init", "teacher"]),
  student("7", "FitNets hint + init", MAIN_TEACHER, ["--distill", "hint", "--init", "teacher"]),
  { id: "8a", label: "teacher, 5k, with the imitation loss", stage: "teacher", args: [] },
  { id: "8b", label: "teacher, 5k, without the imitation loss", stage: "teacher", args: ["--lambda-imitation", "0"] },
  student("8a-student", "PISR from the 5k teacher with imitation", join(OUT, "8a"), ["--distill", "vid", "--init", "teacher"]),
  student("8b-student", "PISR from the 5k teacher without imitation", join(OUT, "8b"), ["--distill", "vid", "--init", "teacher"]),
];

export const runDir = (row: Row) => join(OUT, row.id);

/** Steps trained and the schedule's length of a run directory (0 / null when it does not exist yet). */
export async function progress(dir: string): Promise<{ done: number; total: number | null }> {
  const resume = inRepo(join(dir, "resume.safetensors")), config = inRepo(join(dir, "config.json"));
  if (!existsSync(resume) || !existsSync(config)) return { done: 0, total: null };
  const state = JSON.parse((await loadCheckpoint(resume)).metadata.resume ?? "{}") as { step?: number };
  return { done: state.step ?? 0, total: totalSteps(withDefaults(JSON.parse(readFileSync(config, "utf8")))) };
}

const complete = async (dir: string) => {
  const p = await progress(dir);
  return p.total !== null && p.done === p.total;
};

/** The CLI arguments that train `row` from where it stands. */
export function command(row: Row, resume: boolean): string[] {
  return resume ? ["train/cli.ts", row.stage, "--resume", runDir(row)] : ["train/cli.ts", row.stage, ...COMMON, ...row.args, "--out", runDir(row)];
}

async function plan(): Promise<void> {
  for (const row of ROWS) {
    const p = await progress(runDir(row));
    const state = p.total === null ? "not started" : p.done === p.total ? "complete" : `${p.done} / ${p.total}`;
    const waits = row.needs && !(await complete(row.needs)) ? ` (waits for ${row.needs})` : "";
    console.log(`${row.id.padEnd(11)} ${row.label}: ${state}${waits}\n            bun ${command(row, false).join(" ")}`);
  }
}

async function run(only: Set<string> | null): Promise<void> {
  let child: ReturnType<typeof Bun.spawn> | null = null;
  let stopping = false;
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      stopping = true;
      child?.kill(sig); // the trainer checkpoints and exits; then this loop stops
    });
  }
  for (const row of ROWS) {
    if (stopping) break;
    if (only && !only.has(row.id)) continue;
    if (await complete(runDir(row))) continue;
    if (row.needs && !(await complete(row.needs))) {
      console.log(`row ${row.id}: skipped, ${row.needs} is not complete yet`);
      continue;
    }
    const resume = existsSync(inRepo(join(runDir(row), "resume.safetensors")));
    const argv = command(row, resume);
    console.log(`row ${row.id} (${row.label}): bun ${argv.join(" ")}`);
    child = Bun.spawn([process.execPath, ...argv], { cwd: REPO_ROOT, stdio: ["ignore", "inherit", "inherit"] });
    const code = await child.exited;
    child = null;
    if (code !== 0) {
      console.error(`row ${row.id} stopped with exit code ${code}${stopping ? " (interrupted: run again to resume)" : ""}`);
      process.exitCode = code;
      return;
    }
  }
}

async function table(limit: number | undefined, backend: BackendChoice): Promise<void> {
  const sets = ["Set5", "Set14", "B100", "Urban100"].map((s) => join(BENCHMARK_DIR, s));
  const rows: { name: string; results: Awaited<ReturnType<typeof evaluateModel>> }[] = [];
  for (const row of ROWS) {
    if (row.stage === "teacher" || !(await complete(runDir(row)))) continue;
    rows.push({ name: `${row.id}. ${row.label}`, results: await evaluateModel(inRepo(join(runDir(row), "last.safetensors")), sets, 4, backend, limit) });
  }
  if (!rows.length) return console.log("no row is complete yet (bun scripts/ablations.ts plan)");
  console.log(formatTable(rows));
}

if (import.meta.main) {
  const { positionals, values: v } = parseArgs({
    args: process.argv.slice(2), allowPositionals: true, strict: true,
    options: { only: { type: "string" }, limit: { type: "string" }, backend: { type: "string" } },
  });
  const what = positionals[0];
  const only = v.only ? new Set(v.only.split(",")) : null;
  for (const id of only ?? []) if (!ROWS.some((r) => r.id === id)) throw new Error(`--only: no row "${id}" (rows: ${ROWS.map((r) => r.id).join(", ")})`);
  if (what === "plan") await plan();
  else if (what === "run") await run(only);
  else if (what === "table") await table(v.limit === undefined ? undefined : Number(v.limit), (v.backend ?? "auto") as BackendChoice);
  else {
    console.error("usage: bun scripts/ablations.ts plan | run [--only ROW,ROW…] | table [--limit N] [--backend B]");
    process.exit(2);
  }
}
