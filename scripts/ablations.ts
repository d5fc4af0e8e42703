#!/usr/bin/env bun
// The ablation table of the distillation issue (×4, HR patch 96, batch 16, 5,000 iterations per row), one row at
// a time, each resumable across sessions, evaluated on the four benchmark sets from final checkpoints
// (scripts/run-queue.ts does the work).
//
//   bun scripts/ablations.ts plan                  # every row: its command and how far it has trained
//   bun scripts/ablations.ts run [--only 1,4,8a]   # trains the unfinished rows in order (resuming), one at a time
//   bun scripts/ablations.ts table [--limit N] [--against 1,2,4] [--results RESULTS.md]
//                                  # PSNR/SSIM of the finished rows, gaps to rows 1, 2, 4 (written into RESULTS.md)
//
// Rows 2–7 distil the reproduction's 20,000-iteration teacher (runs/x4/teacher: reused, not retrained) and wait
// until it is complete; rows 8a/8b train 5,000-iteration teachers with and without the imitation loss, and
// 8a-student/8b-student distil them.

import { join } from "node:path";
import { queueMain, type Row } from "./run-queue.ts";

const OUT = join("runs", "x4-ablation");
const MAIN_TEACHER = join("runs", "x4", "teacher");
const COMMON = ["--scale", "4", "--patch", "96", "--batch", "16", "--steps", "5000"];

const row = (id: string, label: string, stage: Row["stage"], args: string[]): Row => ({ id, label, stage, args: [...COMMON, ...args], dir: join(OUT, id) });
const student = (id: string, label: string, teacherRun: string, args: string[]): Row => ({
  ...row(id, label, "student", ["--teacher", join(teacherRun, "last.safetensors"), ...args]), needs: teacherRun,
});

export const ROWS: Row[] = [
  row("1", "baseline (random init, no distillation)", "baseline", []),
  row("1-seed1", "baseline, seed 1", "baseline", ["--seed", "1"]),
  student("2", "init from the teacher only", MAIN_TEACHER, ["--distill", "none", "--init", "teacher"]),
  student("3", "VID (Laplace), random init", MAIN_TEACHER, ["--distill", "vid", "--init", "random"]),
  student("4", "VID (Laplace) + init: PISR", MAIN_TEACHER, ["--distill", "vid", "--init", "teacher"]),
  student("4-seed1", "PISR, seed 1", MAIN_TEACHER, ["--distill", "vid", "--init", "teacher", "--seed", "1"]),
  student("5", "VID (Gaussian) + init", MAIN_TEACHER, ["--distill", "vid", "--vid-pdf", "gaussian", "--init", "teacher"]),
  student("6", "output distillation (L1) + init", MAIN_TEACHER, ["--distill", "output", "--init", "teacher"]),
  student("7", "FitNets hint + init", MAIN_TEACHER, ["--distill", "hint", "--init", "teacher"]),
  row("8a", "teacher, 5k, with the imitation loss", "teacher", []),
  row("8b", "teacher, 5k, without the imitation loss", "teacher", ["--lambda-imitation", "0"]),
  student("8a-student", "PISR from the 5k teacher with imitation", join(OUT, "8a"), ["--distill", "vid", "--init", "teacher"]),
  student("8b-student", "PISR from the 5k teacher without imitation", join(OUT, "8b"), ["--distill", "vid", "--init", "teacher"]),
];

if (import.meta.main) await queueMain("ablations.ts", ROWS, 4, process.argv.slice(2));
