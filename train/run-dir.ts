// The files of a run directory, and the edits a resume makes to them.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomically } from "../io/atomic-write.ts";

export interface RunPaths {
  dir: string;
  config: string;
  /** one JSON line per step (loss terms, lr, it/s) and per validation (val_psnr) */
  metrics: string;
  /** one JSON line per checkpoint: process and engine memory, native handles, dispatches per step */
  health: string;
  last: string;
  best: string;
  /** optimizer moments, sampler position, step: what --resume needs besides last.safetensors */
  state: string;
  curves: string;
  /** one JSON line per process that trained the run: start time, step, commit, machine, backend */
  sessions: string;
}

export function runPaths(dir: string): RunPaths {
  return {
    dir, config: join(dir, "config.json"), metrics: join(dir, "metrics.jsonl"), health: join(dir, "health.jsonl"),
    last: join(dir, "last.safetensors"), best: join(dir, "best.safetensors"), state: join(dir, "resume.safetensors"), curves: join(dir, "curves.svg"),
    sessions: join(dir, "sessions.jsonl"),
  };
}

/**
 * Drops the JSON lines of `path` whose step is past `step`: what a run logged after its last checkpoint is
 * logged again when it resumes from that checkpoint, and each step must appear once. Rewritten atomically.
 */
export function truncateLog(path: string, step: number): number {
  if (!existsSync(path)) return 0;
  const lines = readFileSync(path, "utf8").split("\n").filter(Boolean);
  const kept = lines.filter((line) => {
    try {
      return !((JSON.parse(line) as { step?: number }).step! > step);
    } catch {
      return false; // a line cut short by a crash mid-write
    }
  });
  if (kept.length === lines.length) return 0;
  writeFileAtomically(path, kept.map((l) => l + "\n").join(""), "metrics");
  return lines.length - kept.length;
}
