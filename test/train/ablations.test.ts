// scripts/ablations.ts: the rows are the ablation table (same budget for every row, the right teacher, the
// right distillation flags), a row resumes from its own run directory, and progress is read from a run's
// resume state.

import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { command, progress, ROWS, runDir } from "../../scripts/ablations.ts";
import { saveCheckpoint } from "../../train/checkpoint.ts";
import { defaultConfig } from "../../train/config.ts";

const flag = (argv: string[], name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);

test("every row trains ×4, patch 96, batch 16 for 5,000 steps into its own directory, with the flags its name says", () => {
  expect(ROWS.map((r) => r.id)).toEqual(["1", "1-seed1", "2", "3", "4", "4-seed1", "5", "6", "7", "8a", "8b", "8a-student", "8b-student"]);
  const dirs = new Set(ROWS.map(runDir));
  expect(dirs.size).toBe(ROWS.length);
  for (const row of ROWS) {
    const argv = command(row, false);
    expect(argv.slice(0, 2)).toEqual(["train/cli.ts", row.stage]);
    expect([flag(argv, "--scale"), flag(argv, "--patch"), flag(argv, "--batch"), flag(argv, "--steps"), flag(argv, "--out")]).toEqual(["4", "96", "16", "5000", runDir(row)]);
    if (row.stage === "student") expect(flag(argv, "--teacher")).toBe(join(row.needs!, "last.safetensors"));
    expect(command(row, true)).toEqual(["train/cli.ts", row.stage, "--resume", runDir(row)]);
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
  expect(ROWS.find((r) => r.id === "8b-student")!.needs).toBe(runDir(ROWS.find((r) => r.id === "8b")!));
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
