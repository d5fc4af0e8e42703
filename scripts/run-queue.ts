// A queue of training runs, trained one at a time in order, each resumable: what scripts/reproduce-x4.ts and
// scripts/ablations.ts run. A row is a CLI stage with its flags and run directory; one that needs a teacher waits
// until that teacher's run is complete. Run again after an interruption (or in the next session, on another
// machine) and it continues where each run's last checkpoint left it. Paths are relative to the directory the
// runs live in (this repository, or `--runs-in DIR`: a long job runs this checkout's code — a worktree pinned at
// a commit — on the runs of the main checkout, where they are committed), so config.json names its teacher portably.

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { BackendChoice } from "../engine/init.ts";
import type { SetResult } from "../image/evaluate.ts";
import { BENCHMARK_DIR, REPO_ROOT } from "../image/paths.ts";
import { writeFileAtomically } from "../io/atomic-write.ts";
import { loadCheckpoint } from "../train/checkpoint.ts";
import { compareSets, formatGapTable } from "../train/compare-command.ts";
import { die, parseFlags, positiveInt } from "../train/cli-args.ts";
import { evaluateModel, formatTable } from "../train/evaluate-model.ts";
import { recordedEvaluation } from "../train/evaluation-record.ts";
import { totalSteps, withDefaults } from "../train/config.ts";

export interface Row {
  id: string;
  label: string;
  stage: "baseline" | "teacher" | "student";
  /** every flag but --out */
  args: string[];
  /** the run directory (repository-relative) */
  dir: string;
  /** the run directory of the teacher this row needs complete before it starts */
  needs?: string;
}

/** Where the run directories are (and the trainer runs): this repository unless --runs-in says otherwise. */
let runsRoot = REPO_ROOT;
const inRepo = (path: string) => resolve(runsRoot, path);
/** This checkout's CLI, whatever directory the runs are in. */
const CLI = join(REPO_ROOT, "train", "cli.ts");

/** Steps trained and the schedule's length of a run directory (0 / null when it does not exist yet). */
export async function progress(dir: string): Promise<{ done: number; total: number | null }> {
  const resume = inRepo(join(dir, "resume.safetensors")), config = inRepo(join(dir, "config.json"));
  if (!existsSync(resume) || !existsSync(config)) return { done: 0, total: null };
  const state = JSON.parse((await loadCheckpoint(resume)).metadata.resume ?? "{}") as { step?: number };
  return { done: state.step ?? 0, total: totalSteps(withDefaults(JSON.parse(readFileSync(config, "utf8")))) };
}

export async function isComplete(dir: string): Promise<boolean> {
  const p = await progress(dir);
  return p.total !== null && p.done === p.total;
}

/** The CLI arguments that train `row` from where it stands. */
export function command(row: Row, resume: boolean): string[] {
  return resume ? ["train/cli.ts", row.stage, "--resume", row.dir] : ["train/cli.ts", row.stage, ...row.args, "--out", row.dir];
}

/**
 * How fast a run has lately been training: the trainer's smoothed iterations per second on the last step it logged
 * (a line still being written is skipped), or null before any.
 */
export function recentRate(dir: string): number | null {
  const path = inRepo(join(dir, "metrics.jsonl"));
  if (!existsSync(path)) return null;
  const lines = readFileSync(path, "utf8").trimEnd().split("\n");
  for (let i = lines.length - 1; i >= Math.max(0, lines.length - 50); i--) {
    try {
      const rate = (JSON.parse(lines[i]!) as { it_s?: unknown }).it_s;
      if (typeof rate === "number" && rate > 0) return rate;
    } catch {
      // a partial line at the end of a run in training
    }
  }
  return null;
}

/** A duration for people: "2 h 05 min", "12 min", "< 1 min". */
export function formatDuration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  if (minutes < 1) return "< 1 min";
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

export async function plan(rows: readonly Row[]): Promise<void> {
  for (const row of rows) {
    const p = await progress(row.dir);
    const rate = p.total !== null && p.done < p.total ? recentRate(row.dir) : null;
    const eta = rate ? ` (${rate.toFixed(2)} it/s lately: ≈ ${formatDuration((p.total! - p.done) / rate)} left at that pace)` : "";
    const state = p.total === null ? "not started" : p.done === p.total ? "complete" : `${p.done} / ${p.total}${eta}`;
    const waits = row.needs && !(await isComplete(row.needs)) ? ` (waits for ${row.needs})` : "";
    console.log(`${row.id.padEnd(12)} ${row.label}: ${state}${waits}\n             bun ${command(row, false).join(" ")}`);
  }
}

/** Trains every unfinished row (of `only`, if given) in order; SIGINT/SIGTERM/SIGHUP checkpoint the one in training and stop. */
export async function runQueue(rows: readonly Row[], only: Set<string> | null): Promise<void> {
  let child: ReturnType<typeof Bun.spawn> | null = null;
  let stopping = false;
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  const forward = (sig: NodeJS.Signals) => {
    stopping = true;
    child?.kill(sig); // the trainer checkpoints and exits; then this loop stops
  };
  for (const sig of signals) process.on(sig, forward);
  try {
    for (const row of rows) {
      if (stopping) break;
      if (only && !only.has(row.id)) continue;
      if (await isComplete(row.dir)) continue;
      if (row.needs && !(await isComplete(row.needs))) {
        console.log(`${row.id}: skipped, ${row.needs} is not complete yet`);
        continue;
      }
      const argv = command(row, existsSync(inRepo(join(row.dir, "resume.safetensors"))));
      console.log(`${row.id} (${row.label}): bun ${argv.join(" ")}`);
      child = Bun.spawn([process.execPath, CLI, ...argv.slice(1)], { cwd: runsRoot, stdio: ["ignore", "inherit", "inherit"] });
      const code = await child.exited;
      child = null;
      if (code !== 0) {
        console.error(`${row.id} stopped with exit code ${code}${stopping ? " (interrupted: run again to resume)" : ""}`);
        process.exitCode = code;
        return;
      }
    }
  } finally {
    for (const sig of signals) process.off(sig, forward);
  }
}

/** Computes a checkpoint's results on the sets a run's evaluation.json lacks. */
export type Evaluator = (checkpoint: string, sets: string[]) => Promise<SetResult[]>;

/**
 * PSNR/SSIM (×scale, the four benchmark sets) of the complete rows that are not teachers, as a Markdown table
 * (each row's numbers kept in its run directory's evaluation.json and reused while its final checkpoint is unchanged);
 * with `against` (row ids), then for each of them every other complete row's per-image gap to it (train/compare-command.ts).
 */
export async function tableMarkdown(rows: readonly Row[], scale: number, limit: number | undefined, against: string[] | undefined, evaluate: Evaluator): Promise<string> {
  const sets = ["Set5", "Set14", "B100", "Urban100"].map((s) => join(BENCHMARK_DIR, s));
  const done: { id: string; name: string; results: SetResult[] }[] = [];
  for (const row of rows) {
    if (row.stage === "teacher" || !(await isComplete(row.dir))) continue;
    const checkpoint = inRepo(join(row.dir, "last.safetensors"));
    const { results } = await recordedEvaluation(inRepo(row.dir), checkpoint, sets, scale, limit, (missing) => evaluate(checkpoint, missing));
    done.push({ id: row.id, name: `${row.id}. ${row.label}`, results });
  }
  if (!done.length) return "no row is complete yet (plan lists them)";
  const out = [formatTable(done)];
  for (const id of against ?? []) {
    const ref = done.find((d) => d.id === id);
    if (!ref) {
      out.push(`\n--against ${id}: that row is not complete (or is a teacher): no gaps to show`);
      continue;
    }
    const others = done.filter((d) => d !== ref).map((d) => ({ name: d.name, comparisons: compareSets(d.results, ref.results) }));
    out.push(`\nPer-image Y-PSNR gap to row ${id} (mean, 95% paired-t interval; * where it excludes 0; read it next to the seed-to-seed gap):\n`);
    out.push(formatGapTable(`row ${id}`, others));
  }
  return out.join("\n");
}

/** The markers around a queue's table in a results file (`table --results FILE` rewrites what lies between). */
export const tableMarkers = (name: string) => [`<!-- ${name} table: rewritten by \`--results\` -->`, `<!-- /${name} table -->`] as const;

/** What `--results` puts between the markers: the command that reproduces the tables, then the tables. */
export function tableBlock(name: string, against: string[] | undefined, markdown: string): string {
  const command = `npx bun scripts/${name} table${against ? ` --against ${against.join(",")}` : ""}`;
  return `\`${command}\` (final checkpoints of the finished rows):\n\n${markdown}`;
}

/** `text` with `block` between the queue's markers, or null when the markers are missing. */
export function withTableBlock(text: string, name: string, block: string): string | null {
  const [begin, end] = tableMarkers(name);
  const i = text.indexOf(begin), j = text.indexOf(end);
  return i >= 0 && j > i ? `${text.slice(0, i + begin.length)}\n${block}\n${text.slice(j)}` : null;
}

/** `table`: prints the Markdown, and with `results` also writes it between the queue's markers in that file. */
export async function table(
  name: string, rows: readonly Row[], scale: number, limit: number | undefined, backend: BackendChoice, against?: string[], results?: string,
): Promise<void> {
  const markdown = await tableMarkdown(rows, scale, limit, against, (checkpoint, sets) => evaluateModel(checkpoint, sets, scale, backend, limit));
  console.log(markdown);
  if (!results) return;
  const updated = withTableBlock(readFileSync(results, "utf8"), name, tableBlock(name, against, markdown));
  if (updated === null) die(`${results} has no ${tableMarkers(name).join(" … ")} markers: put them where the table belongs`);
  writeFileAtomically(results, updated, "results");
  console.error(`table written to ${results}`);
}

/** The command line of a queue script: plan | run [--only …] | table [--limit N] [--backend B] [--against ROW,…] [--results FILE], each [--runs-in DIR]. */
export async function queueMain(name: string, rows: readonly Row[], scale: number, argv: string[]): Promise<void> {
  const usage = `bun scripts/${name} plan | run [--only ROW,ROW…] | table [--limit N] [--backend B] [--against ROW,ROW…] [--results FILE]   [--runs-in DIR]`;
  const { positionals, values: v } = parseFlags({
    args: argv, allowPositionals: true, strict: true,
    options: {
      only: { type: "string" }, limit: { type: "string" }, backend: { type: "string" }, against: { type: "string" }, results: { type: "string" }, "runs-in": { type: "string" },
    },
  }, usage);
  if (v["runs-in"]) {
    runsRoot = resolve(v["runs-in"]);
    if (!existsSync(runsRoot)) die(`--runs-in ${v["runs-in"]}: no such directory`);
  }
  /** the row ids a comma-separated flag names, each checked against the queue */
  const rowIds = (flag: string, list: string | undefined) => list?.split(",").map((id) =>
    rows.some((r) => r.id === id) ? id : die(`--${flag}: no row "${id}" (rows: ${rows.map((r) => r.id).join(", ")})`));
  const only = v.only ? new Set(rowIds("only", v.only)) : null;
  const what = positionals[0];
  if (what === "plan") await plan(rows);
  else if (what === "run") await runQueue(rows, only);
  else if (what === "table") {
    if (v.results !== undefined && !existsSync(v.results)) die(`--results ${v.results}: no such file`);
    if (v.results !== undefined && v.limit !== undefined) die("--results with --limit: a results file gets whole sets only");
    await table(name, rows, scale, positiveInt(v.limit, "limit"), (v.backend ?? "auto") as BackendChoice, rowIds("against", v.against), v.results);
  }
  else {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
}
