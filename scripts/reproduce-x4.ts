#!/usr/bin/env bun
// The ×4 reproduction (RESULTS.md), every stage at one recipe (×4, HR patch 96, batch 16, Adam 1e-3 cosine to
// 1e-5, seed 0), one run at a time in the order its dependencies need, each resumable across sessions
// (scripts/run-queue.ts). One command per session continues whatever is unfinished:
//
//   bun scripts/reproduce-x4.ts plan     # every stage: its command and how far it has trained
//   bun scripts/reproduce-x4.ts run      # trains the unfinished stages in order (resuming), one at a time
//   bun scripts/reproduce-x4.ts table    # PSNR/SSIM of the finished networks (final checkpoints)
//
// Then ship: bun scripts/ship-weights.ts runs/x4/student --as student (and --as baseline / teacher).

import { join } from "node:path";
import { queueMain, type Row } from "./run-queue.ts";

const OUT = join("runs", "x4");
const recipe = (steps: number) => ["--scale", "4", "--patch", "96", "--batch", "16", "--steps", String(steps)];
const teacher = join(OUT, "teacher");

export const STAGES: Row[] = [
  { id: "baseline", label: "FSRCNN baseline, 20k", stage: "baseline", args: recipe(20000), dir: join(OUT, "baseline") },
  { id: "teacher", label: "PISR teacher, 20k", stage: "teacher", args: recipe(20000), dir: teacher },
  {
    id: "student", label: "PISR student (VID, from the teacher's decoder), 20k", stage: "student", needs: teacher,
    args: [...recipe(20000), "--teacher", join(teacher, "last.safetensors")], dir: join(OUT, "student"),
  },
  { id: "baseline-seed1", label: "FSRCNN baseline, seed 1 (noise)", stage: "baseline", args: [...recipe(20000), "--seed", "1"], dir: join(OUT, "baseline-seed1") },
  { id: "baseline-40k", label: "FSRCNN baseline, 40k (teacher + student budget)", stage: "baseline", args: recipe(40000), dir: join(OUT, "baseline-40k") },
];

if (import.meta.main) await queueMain("reproduce-x4.ts", STAGES, 4, process.argv.slice(2));
