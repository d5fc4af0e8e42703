// A run's benchmark numbers kept beside its final checkpoint (RUN/evaluation.json): the per-image PSNR/SSIM of
// last.safetensors on each set, keyed by the checkpoint's SHA-256, the scale and the image limit. A table of many
// runs (scripts/run-queue.ts) then re-evaluates only what changed, and the numbers travel with the committed run
// directory to the next machine. A record whose key does not match is recomputed, never trusted.

import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { SetResult } from "../image/evaluate.ts";
import { writeFileAtomically } from "../io/atomic-write.ts";

export const EVALUATION_FILE = "evaluation.json";

interface EvaluationRecord {
  checkpoint: string;
  sha256: string;
  scale: number | null;
  limit: number | null;
  /** per set (by folder name): its per-image results and means */
  sets: Record<string, Omit<SetResult, "folder">>;
}

export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/**
 * The results of `checkpoint` on `sets` (folders), read from `dir`/evaluation.json where the record matches the
 * checkpoint's bytes, the scale and the limit; `evaluate` computes the sets that are missing, and the record is
 * rewritten (atomically) with them. Returns the results in the order of `sets`, and how many were computed.
 */
export async function recordedEvaluation(
  dir: string, checkpoint: string, sets: string[], scale: number | undefined, limit: number | undefined,
  evaluate: (sets: string[]) => Promise<SetResult[]>,
): Promise<{ results: SetResult[]; computed: number }> {
  const path = join(dir, EVALUATION_FILE);
  const key = { checkpoint: basename(checkpoint), sha256: sha256File(checkpoint), scale: scale ?? null, limit: limit ?? null };
  let record: EvaluationRecord = { ...key, sets: {} };
  if (existsSync(path)) {
    const old = JSON.parse(readFileSync(path, "utf8")) as EvaluationRecord;
    if (old.checkpoint === key.checkpoint && old.sha256 === key.sha256 && old.scale === key.scale && old.limit === key.limit) record = old;
  }
  const missing = sets.filter((s) => !(basename(s) in record.sets));
  if (missing.length) {
    const fresh = await evaluate(missing);
    fresh.forEach((r, i) => {
      const { folder: _, ...rest } = r;
      record.sets[basename(missing[i]!)] = rest;
    });
    writeFileAtomically(path, JSON.stringify(record, null, 1) + "\n", "evaluation record");
  }
  return { results: sets.map((s) => ({ folder: s, ...record.sets[basename(s)]! })), computed: missing.length };
}
