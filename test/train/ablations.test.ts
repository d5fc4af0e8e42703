// The training queues (scripts/run-queue.ts): the ablation rows are the table (same budget for every row,
// the right teacher, the right distillation flags), the reproduction's stages are RESULTS.md's recipe with the
// student waiting for the teacher, a row resumes from its own run directory, and progress is read from a run's
// resume state.

import { expect, spyOn, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROWS } from "../../scripts/ablations.ts";
import { STAGES } from "../../scripts/reproduce-x4.ts";
import { command, formatDuration, isComplete, progress, recentRate, type Row, runQueue, table, tableBlock, tableMarkdown, tableMarkers, withTableBlock } from "../../scripts/run-queue.ts";
import { REPO_ROOT } from "../../image/paths.ts";
import { saveCheckpoint } from "../../train/checkpoint.ts";
import { defaultConfig } from "../../train/config.ts";
import { writeSet5Crops } from "./set5-crops.ts";

const flag = (argv: string[], name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);

test("every row trains ×4, patch 96, batch 16 for 5,000 steps into its own directory, with the flags its name says", () => {
  expect(ROWS.map((r) => r.id)).toEqual(["1", "1-seed1", "2", "3", "4", "4-seed1", "5", "6", "7", "8a", "8b", "8a-student", "8b-student"]);
  const dirs = new Set(ROWS.map((r) => r.dir));
  expect(dirs.size).toBe(ROWS.length);
  for (const row of ROWS) {
    const argv = command(row, false);
    expect(argv.slice(0, 2)).toEqual(["train/cli.ts", row.stage]);
    expect([flag(argv, "--scale"), flag(argv, "--patch"), flag(argv, "--batch"), flag(argv, "--steps"), flag(argv, "--out")]).toEqual(["4", "96", "16", "5000", row.dir]);
    if (row.stage === "student") expect(flag(argv, "--teacher")).toBe(join(row.needs!, "last.safetensors"));
    expect(command(row, true)).toEqual(["train/cli.ts", row.stage, "--resume", row.dir]);
  }
  const byId = Object.fromEntries(ROWS.map((r) => [r.id, command(r, false)]));
  expect([flag(byId["2"]!, "--distill"), flag(byId["2"]!, "--init")]).toEqual(["none", "teacher"]);
  expect([flag(byId["3"]!, "--distill"), flag(byId["3"]!, "--init")]).toEqual(["vid", "random"]);
  expect([flag(byId["4"]!, "--distill"), flag(byId["4"]!, "--init")]).toEqual(["vid", "teacher"]);
  expect(flag(byId["5"]!, "--vid-pdf")).toBe("gaussian");
  expect(flag(byId["6"]!, "--distill")).toBe("output");
  expect(flag(byId["7"]!, "--distill")).toBe("hint");
  expect(flag(byId["8b"]!, "--lambda-imitation")).toBe("0");
  expect(flag(byId["8a"]!, "--lambda-imitation")).toBeUndefined();
  expect([flag(byId["1-seed1"]!, "--seed"), flag(byId["4-seed1"]!, "--seed")]).toEqual(["1", "1"]);
  // rows 2–7 reuse the reproduction's teacher; row 8's students their own 5k teachers
  for (const id of ["2", "3", "4", "5", "6", "7"]) expect(ROWS.find((r) => r.id === id)!.needs).toBe(join("runs", "x4", "teacher"));
  expect(ROWS.find((r) => r.id === "8b-student")!.needs).toBe(ROWS.find((r) => r.id === "8b")!.dir);
});

test("the reproduction's stages: RESULTS.md's recipe, the student after its teacher, the controls", () => {
  const by = Object.fromEntries(STAGES.map((r): [string, Row] => [r.id, r]));
  expect(Object.keys(by)).toEqual(["baseline", "teacher", "student", "baseline-seed1", "baseline-40k"]);
  for (const row of STAGES) {
    const argv = command(row, false);
    expect([flag(argv, "--scale"), flag(argv, "--patch"), flag(argv, "--batch")]).toEqual(["4", "96", "16"]);
    expect(flag(argv, "--steps")).toBe(row.id === "baseline-40k" ? "40000" : "20000");
    expect(flag(argv, "--out")).toBe(join("runs", "x4", row.id));
  }
  expect(by.student!.needs).toBe(by.teacher!.dir);
  expect(flag(command(by.student!, false), "--teacher")).toBe(join(by.teacher!.dir, "last.safetensors"));
  expect(flag(command(by["baseline-seed1"]!, false), "--seed")).toBe("1");
});

test("progress: nothing for a missing run, the resume state's step against the schedule otherwise", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ablation-progress-"));
  try {
    expect(await progress(join(dir, "none"))).toEqual({ done: 0, total: null });
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...defaultConfig("student"), epochs: 5, itersPerEpoch: 1000 }));
    await saveCheckpoint(join(dir, "resume.safetensors"), new Map(), { resume: JSON.stringify({ step: 1500 }) });
    expect(await progress(dir)).toEqual({ done: 1500, total: 5000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("recentRate: the trainer's it/s on the last complete line of metrics.jsonl; formatDuration for people", () => {
  const dir = mkdtempSync(join(tmpdir(), "ablation-rate-"));
  try {
    expect(recentRate(dir)).toBeNull();
    const lines = [{ step: 1, loss: 1 }, { step: 2, it_s: 0.5 }, { step: 3, it_s: 0.97 }, { step: 1000, val_psnr: 29 }].map((l) => JSON.stringify(l));
    writeFileSync(join(dir, "metrics.jsonl"), lines.join("\n") + '\n{"step":4,"it_s":1.');
    expect(recentRate(dir)).toBe(0.97); // the partial last line is skipped, and so is the validation line
    writeFileSync(join(dir, "metrics.jsonl"), JSON.stringify({ step: 1, loss: 1 }) + "\n");
    expect(recentRate(dir)).toBeNull();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  expect([formatDuration(20), formatDuration(12 * 60 + 10), formatDuration(2 * 3600 + 5 * 60), formatDuration(3599)]).toEqual(["< 1 min", "12 min", "2 h 05 min", "1 h 00 min"]);
});

test("runQueue trains the rows in order, a student only once its teacher is complete, and skips finished rows", async () => {
  const dir = mkdtempSync(join(tmpdir(), "run-queue-"));
  try {
    const data = writeSet5Crops(join(dir, "data"), [["baby", 200, 180], ["bird", 100, 90]], 32);
    const tiny = ["--scale", "2", "--patch", "16", "--batch", "2", "--steps", "2", "--backend", "cpu", "--train", data, "--val", data];
    const teacher: Row = { id: "t", label: "teacher", stage: "teacher", args: tiny, dir: join(dir, "t") };
    const student: Row = { id: "s", label: "student", stage: "student", args: [...tiny, "--teacher", join(teacher.dir, "last.safetensors")], dir: join(dir, "s"), needs: teacher.dir };
    await runQueue([student], null); // waits: its teacher has not trained
    expect(await progress(student.dir)).toEqual({ done: 0, total: null });
    await runQueue([teacher, student], null);
    expect(await progress(teacher.dir)).toEqual({ done: 2, total: 2 });
    expect(await progress(student.dir)).toEqual({ done: 2, total: 2 });
    expect(await isComplete(student.dir)).toBe(true);
    const before = readFileSync(join(student.dir, "metrics.jsonl"), "utf8");
    await runQueue([teacher, student], null); // nothing left to train
    expect(readFileSync(join(student.dir, "metrics.jsonl"), "utf8")).toBe(before);

    // the table: teachers left out, one image per set, gaps to each row named; the second row (the same run)
    // reads the numbers the first one recorded in evaluation.json
    const printed: string[] = [];
    const spy = spyOn(console, "log").mockImplementation((...a: unknown[]) => void printed.push(a.join(" ")));
    try {
      await table("test-queue", [teacher, student, { ...student, id: "s2", label: "again" }], 2, 1, "cpu", ["s", "s2", "t"]);
    } finally {
      spy.mockRestore();
    }
    const out = printed.join("\n");
    expect(out).toContain("| model | Set5 | Set14 | B100 | Urban100 |");
    expect(out).not.toContain("| t. teacher |");
    expect(out).toMatch(/\| s\. student \| \d+\.\d\d \/ 0\.\d{4} \|/);
    // the same run against itself: every gap exactly zero (one image: no interval), in both directions
    expect(out).toContain("gap to row s (");
    expect(out).toContain("gap to row s2 (");
    expect(out).toContain("| s2. again | +0.000 | +0.000 | +0.000 | +0.000 |");
    expect(out).toContain("| s. student | +0.000 | +0.000 | +0.000 | +0.000 |");
    expect(out).toContain("--against t: that row is not complete (or is a teacher)");
    const recorded = JSON.parse(readFileSync(join(student.dir, "evaluation.json"), "utf8"));
    expect(Object.keys(recorded.sets)).toEqual(["Set5", "Set14", "B100", "Urban100"]);
    expect(recorded.limit).toBe(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 300_000);

test("the queue's command line names a bad row or limit and exits 2 before doing anything", () => {
  const run = (...args: string[]) => Bun.spawnSync([process.execPath, "scripts/ablations.ts", ...args], { cwd: join(import.meta.dir, "..", "..") });
  for (const [args, message] of [
    [["table", "--against", "1,9"], 'error: --against: no row "9" (rows: 1, 1-seed1, 2,'],
    [["table", "--limit", "0"], "error: --limit must be a positive integer, got 0"],
    [["run", "--only", "4,x"], 'error: --only: no row "x"'],
    [["plan", "--runs-in", "/nonexistent/runs"], "error: --runs-in /nonexistent/runs: no such directory"],
    [["table", "--results", "/nonexistent/R.md"], "error: --results /nonexistent/R.md: no such file"],
    [["table", "--results", "RESULTS.md", "--limit", "2"], "error: --results with --limit: a results file gets whole sets only"],
  ] as [string[], string][]) {
    const r = run(...args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString()).toContain(message);
  }
});

test("RESULTS.md's ablation tables are exactly what the committed runs' recorded numbers give", async () => {
  const text = readFileSync(join(REPO_ROOT, "RESULTS.md"), "utf8");
  const [begin, end] = tableMarkers("ablations.ts");
  expect(text).toContain(begin);
  const block = text.slice(text.indexOf(begin) + begin.length, text.indexOf(end)).trim();
  const against = block.match(/--against ([\w,-]+)`/)?.[1]?.split(",");
  // every finished row must carry its numbers (evaluation.json for its final checkpoint): nothing is recomputed here
  const markdown = await tableMarkdown(ROWS, 4, undefined, against, async (checkpoint) => {
    throw new Error(`${checkpoint}: finished, but no evaluation.json records it; run \`scripts/ablations.ts table --results RESULTS.md\``);
  });
  expect(block).toBe(tableBlock("ablations.ts", against, markdown));
});

test("withTableBlock replaces only what lies between the markers, and says when they are missing", () => {
  const [begin, end] = tableMarkers("q.ts");
  const text = `# R\n\nbefore\n${begin}\nold table\n${end}\nafter\n`;
  expect(withTableBlock(text, "q.ts", "new")).toBe(`# R\n\nbefore\n${begin}\nnew\n${end}\nafter\n`);
  expect(withTableBlock(withTableBlock(text, "q.ts", "new")!, "q.ts", "newer")).toBe(`# R\n\nbefore\n${begin}\nnewer\n${end}\nafter\n`);
  expect(withTableBlock("# R\n", "q.ts", "new")).toBeNull();
  expect(withTableBlock(`${end}\n${begin}\n`, "q.ts", "new")).toBeNull();
});
