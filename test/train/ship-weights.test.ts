// scripts/ship-weights.ts on a small student run: the shipped file is the run's final checkpoint without the
// training-only VID estimator, with a truthful header; an unfinished run is refused unless asked for, and a
// refusal writes nothing. `--out` keeps weights/ and embed/ untouched.

import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ESTIMATOR_PREFIX } from "../../checkpoint/layout.ts";
import { CpuBackend } from "../../engine/cpu/backend.ts";
import { PisrModel } from "../../models/pisr.ts";
import { loadCheckpoint } from "../../train/checkpoint.ts";
import { loadModel, saveModel } from "../../train/models-io.ts";

setDefaultTimeout(600_000);
const ROOT = resolve(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "ship-weights-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const backend = new CpuBackend("float32");

/** A run directory as the trainer leaves it: config.json scheduling 3 iterations, last.safetensors at `step`. */
async function studentRun(name: string, step: number): Promise<string> {
  const run = join(dir, name);
  mkdirSync(run);
  const config = { mode: "student", scale: 4, patch: 96, batch: 16, epochs: 1, itersPerEpoch: 3, seed: 0, train: ["/data/bsds400"], out: run, teacher: "/runs/teacher/last.safetensors" };
  writeFileSync(join(run, "config.json"), JSON.stringify(config));
  const model = new PisrModel("student", { scale: 4 }, { seed: 1, backend });
  await saveModel(join(run, "last.safetensors"), model, { step: String(step), config: JSON.stringify(config) });
  model.dispose();
  return run;
}

const ship = (run: string, out: string, ...extra: string[]) =>
  Bun.spawnSync([process.execPath, "scripts/ship-weights.ts", run, "--as", "student", "--out", out, ...extra], { cwd: ROOT });

describe("scripts/ship-weights.ts", () => {
  test("ships a finished student without its VID estimator, with its recipe, iterations and Set5 score", async () => {
    const run = await studentRun("finished", 3), out = join(dir, "finished.safetensors");
    const r = ship(run, out);
    expect(r.stderr.toString()).not.toContain("error");
    expect(r.exitCode).toBe(0);
    const { tensors, metadata } = await loadCheckpoint(out);
    const saved = (await loadCheckpoint(join(run, "last.safetensors"))).tensors;
    expect([...saved.keys()].some((n) => n.startsWith(ESTIMATOR_PREFIX))).toBe(true);
    expect([...tensors.keys()].sort()).toEqual([...saved.keys()].filter((n) => !n.startsWith(ESTIMATOR_PREFIX)).sort());
    for (const [name, t] of tensors) expect(Array.from(t.data)).toEqual(Array.from(saved.get(name)!.data));
    expect(metadata).toMatchObject({ architecture: "student", shipped_as: "student", iterations: "3", scheduled_iterations: "3" });
    expect(Number(metadata.set5_psnr)).toBeGreaterThan(0);
    const recipe = JSON.parse(metadata.recipe);
    expect(recipe).toMatchObject({ mode: "student", scale: 4, train: ["bsds400"] });
    expect(recipe.out).toBeUndefined(); // no machine-specific paths
    expect(metadata.config).toBeUndefined();
    (await loadModel(out, backend, "student")).model.dispose(); // loads as an upscaler without the estimator
  });

  test("refuses an unfinished run by name and writes nothing; --unfinished ships it with its real count", async () => {
    const run = await studentRun("unfinished", 2), out = join(dir, "unfinished.safetensors");
    const refused = ship(run, out);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr.toString()).toContain(`${run}/last.safetensors is at iteration 2 of the 3 its config schedules`);
    expect(existsSync(out)).toBe(false);
    const r = ship(run, out, "--unfinished");
    expect(r.exitCode).toBe(0);
    expect((await loadCheckpoint(out)).metadata).toMatchObject({ iterations: "2", scheduled_iterations: "3" });
  });
});
