// A run's recorded benchmark numbers (train/evaluation-record.ts): computed once per set, reused while the
// checkpoint's bytes, the scale and the limit are the same, recomputed when any of them changes.

import { expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SetResult } from "../../image/evaluate.ts";
import { EVALUATION_FILE, recordedEvaluation } from "../../train/evaluation-record.ts";

/** a stand-in for evaluateModel: a PSNR derived from the set's name and a counter, so reuse is visible */
function fakeEvaluator() {
  const calls: string[][] = [];
  let n = 0;
  const evaluate = async (sets: string[]): Promise<SetResult[]> => {
    calls.push(sets);
    return sets.map((folder) => {
      n++;
      const images = [{ name: "a.png", width: 8, height: 8, psnr: 20 + n, ssim: 0.5 }, { name: "b.png", width: 8, height: 8, psnr: 22 + n, ssim: 0.7 }];
      return { folder, scale: 4, images, psnr: 21 + n, ssim: 0.6 };
    });
  };
  return { calls, evaluate };
}

test("evaluation.json: sets computed once, reused for the same checkpoint, recomputed when its bytes, the scale or the limit change", async () => {
  const dir = mkdtempSync(join(tmpdir(), "evaluation-record-"));
  try {
    const ckpt = join(dir, "last.safetensors");
    writeFileSync(ckpt, "weights v1");
    const sets = ["/data/benchmark/Set5", "/data/benchmark/Set14"];
    const f = fakeEvaluator();

    const first = await recordedEvaluation(dir, ckpt, sets, 4, undefined, f.evaluate);
    expect(first.computed).toBe(2);
    expect(first.results.map((r) => [r.folder, r.psnr])).toEqual([["/data/benchmark/Set5", 22], ["/data/benchmark/Set14", 23]]);
    expect(first.results[0]!.images).toHaveLength(2);
    const stored = JSON.parse(readFileSync(join(dir, EVALUATION_FILE), "utf8"));
    expect(Object.keys(stored.sets)).toEqual(["Set5", "Set14"]);
    expect(stored.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);

    // the same checkpoint, the sets found elsewhere on another machine, one more set: only that one is computed
    const again = await recordedEvaluation(dir, ckpt, ["/other/Set14", "/other/Set5", "/other/B100"], 4, undefined, f.evaluate);
    expect(again.computed).toBe(1);
    expect(f.calls.at(-1)).toEqual(["/other/B100"]);
    expect(again.results.map((r) => [r.folder, r.psnr])).toEqual([["/other/Set14", 23], ["/other/Set5", 22], ["/other/B100", 24]]);

    // a different limit, a different scale, different bytes: nothing reused
    expect((await recordedEvaluation(dir, ckpt, sets, 4, 2, f.evaluate)).computed).toBe(2);
    expect((await recordedEvaluation(dir, ckpt, sets, 2, 2, f.evaluate)).computed).toBe(2);
    expect((await recordedEvaluation(dir, ckpt, sets, 2, 2, f.evaluate)).computed).toBe(0);
    writeFileSync(ckpt, "weights v2");
    const changed = await recordedEvaluation(dir, ckpt, sets, 2, 2, f.evaluate);
    expect(changed.computed).toBe(2);
    expect(changed.results[0]!.psnr).toBe(21 + f.calls.flat().length - 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
