// Where and with what code a run was trained: one line in the run's sessions.jsonl per process that trained
// it (a run outlives a working session and may continue on another machine, with newer code).

import { spawnSync } from "node:child_process";
import { appendFileSync } from "node:fs";
import { cpus, hostname } from "node:os";
import { REPO_ROOT } from "../image/paths.ts";

/** The checked-out commit of the repository this code runs from, with "+dirty" when files differ from it. */
export function engineCommit(): string {
  try {
    const git = (...args: string[]) => spawnSync("git", args, { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const head = git("rev-parse", "--short=12", "HEAD");
    if (head.status !== 0) return "unknown";
    const dirty = git("status", "--porcelain", "--untracked-files=no");
    return head.stdout.toString().trim() + (dirty.stdout.toString().trim() ? "+dirty" : "");
  } catch {
    return "unknown";
  }
}

export function recordSession(path: string, fields: { step: number; backend: string }): void {
  const row = {
    started: new Date().toISOString(), from_step: fields.step, commit: engineCommit(), cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length, host: hostname(), backend: fields.backend, runtime: process.versions.bun ? `bun ${process.versions.bun}` : `node ${process.version}`,
  };
  appendFileSync(path, JSON.stringify(row) + "\n");
}
