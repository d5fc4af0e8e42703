// What a long training run needs from the CLI (issue: "Training dies after 745 steps"): checkpoints that do
// not wait for the epoch's end, every stop signal handled as Ctrl-C, a crash that loses only the steps since
// the last checkpoint (and logs each step once after the resume), --resume in a moved directory, finished runs
// that say so, explicit schedule extensions, refused recipe changes, and nothing written before step 1 is
// known to work. CPU backend, tiny synthetic images, real `bun train/cli.ts` processes.

import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { writePng } from "../../image/encode.ts";
import { makeImage } from "../../image/types.ts";
import { loadCheckpoint } from "../../train/checkpoint.ts";

setDefaultTimeout(120_000);
const ROOT = resolve(dirname(import.meta.path), "..", "..");
const dir = mkdtempSync(join(tmpdir(), "run-lifecycle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const images = join(dir, "images");
mkdirSync(images);
for (let k = 0; k < 3; k++) {
  const img = makeImage(40, 40, 3);
  img.data.forEach((_, i) => (img.data[i] = 0.5 + 0.4 * Math.sin(i / (7 + k))));
  writePng(join(images, `${k}.png`), img);
}
/** a new run: CPU, patch 16, batch 2, these images; more flags after */
const fresh = (out: string, ...more: string[]) =>
  ["baseline", "--backend", "cpu", "--patch", "16", "--batch", "2", "--train", images, "--val", images, "--val-limit", "1", "--out", out, ...more];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}
function cli(args: string[]): Result {
  const r = Bun.spawnSync([process.execPath, "train/cli.ts", ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
const rows = (run: string, file = "metrics.jsonl") =>
  readFileSync(join(run, file), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
const lossSteps = (run: string) => rows(run).filter((r) => r.loss !== undefined).map((r) => r.step);
const checkpointStep = async (run: string) => Number((await loadCheckpoint(join(run, "last.safetensors"))).metadata.step);

/** Starts a long run, waits until `afterStep` is logged, sends `signal`; returns the exit code and stdout. */
async function stopWith(signal: NodeJS.Signals, out: string, afterStep: number, ...more: string[]) {
  const proc = Bun.spawn([process.execPath, "train/cli.ts", ...fresh(out, "--steps", "100000", ...more)], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const metrics = join(out, "metrics.jsonl");
  for (let i = 0; i < 1200 && !(existsSync(metrics) && readFileSync(metrics, "utf8").split("\n").length > afterStep); i++) await Bun.sleep(50);
  proc.kill(signal);
  const code = await proc.exited;
  return { code, stdout: await new Response(proc.stdout).text() };
}

describe("checkpoints and stops", () => {
  test("a checkpoint every --checkpoint-every steps, independent of the epoch length; health.jsonl at each", () => {
    const out = join(dir, "every");
    const r = cli(fresh(out, "--steps", "10", "--iters-per-epoch", "10", "--checkpoint-every", "4"));
    expect(r.code).toBe(0);
    const health = rows(out, "health.jsonl");
    // steps 4 and 8 by the cadence, 10 at the end of the (only) epoch
    expect(health.map((h) => h.step)).toEqual([4, 8, 10]);
    for (const h of health) {
      expect(h.rss_mb).toBeGreaterThan(0);
      expect(h.live_buffers).toBeGreaterThan(0);
    }
    // validation only at the epoch's end, never per step
    expect(rows(out).filter((row) => row.val_psnr !== undefined).map((row) => row.step)).toEqual([10]);
  });

  for (const [signal, code] of [["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    test(`${signal} is handled as Ctrl-C: checkpoint, exit ${code}, and --resume continues`, async () => {
      const out = join(dir, signal);
      const r = await stopWith(signal, out, 3, "--iters-per-epoch", "50");
      expect(r.code).toBe(code);
      const step = Number(r.stdout.match(new RegExp(`interrupted \\(${signal}\\): checkpoint written at step (\\d+)`))?.[1]);
      expect(step).toBeGreaterThanOrEqual(3);
      expect(await checkpointStep(out)).toBe(step);
      // the 100,000-step schedule shortened to one 50-step epoch
      const resumed = cli(["baseline", "--resume", out, "--steps", "50"]);
      expect(resumed.code).toBe(0);
      expect(lossSteps(out)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    });
  }

  test("killed without warning (SIGKILL): the resume starts from the last checkpoint and logs each step once", async () => {
    const out = join(dir, "killed");
    const r = await stopWith("SIGKILL", out, 10, "--checkpoint-every", "7", "--iters-per-epoch", "50");
    expect(r.code).not.toBe(0);
    const saved = await checkpointStep(out);
    const logged = lossSteps(out).length;
    expect(saved % 7).toBe(0);
    expect(saved).toBeGreaterThanOrEqual(7);
    expect(logged).toBeGreaterThanOrEqual(saved); // the steps after the checkpoint are lost, and trained again
    const resumed = cli(["baseline", "--resume", out, "--steps", "50"]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`resumed ${out} at step ${saved}`);
    expect(lossSteps(out)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(rows(out, "health.jsonl").map((h) => h.step).every((s, i, all) => i === 0 || s > all[i - 1])).toBe(true);
  });
});

describe("--resume", () => {
  const base = join(dir, "base");
  const baseRun = () => {
    if (!existsSync(join(base, "last.safetensors"))) expect(cli(fresh(base, "--steps", "4", "--iters-per-epoch", "2")).code).toBe(0);
    return base;
  };

  test("resumes the run where it is now, not where it was trained", () => {
    const moved = join(dir, "moved");
    cpSync(baseRun(), moved, { recursive: true });
    const before = readFileSync(join(base, "metrics.jsonl"), "utf8");
    const r = cli(["baseline", "--resume", moved, "--epochs", "3"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`resumed ${moved} at step 4`);
    expect(r.stdout).toContain("4 → 6 steps");
    expect(lossSteps(moved)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(JSON.parse(readFileSync(join(moved, "config.json"), "utf8")).out).toBe(moved);
    // the original is untouched
    expect(readFileSync(join(base, "metrics.jsonl"), "utf8")).toBe(before);
  });

  test("a finished run says it is complete and trains nothing", () => {
    const before = readFileSync(join(baseRun(), "metrics.jsonl"), "utf8");
    const r = cli(["baseline", "--resume", base]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/is complete: 4 of 4 steps trained/);
    expect(readFileSync(join(base, "metrics.jsonl"), "utf8")).toBe(before);
  });

  test("--steps extends the schedule; the cosine learning rate follows the new length", () => {
    const ext = join(dir, "extended");
    cpSync(baseRun(), ext, { recursive: true });
    expect(cli(["baseline", "--resume", ext, "--steps", "8"]).code).toBe(0);
    const lrs = rows(ext).filter((r) => r.loss !== undefined).map((r) => r.lr);
    // epochs of 2 steps: 2 epochs at lr(0..1 of 2), then 4 epochs of the longer cosine from epoch 2 on
    const cos = (e: number, n: number) => 1e-5 + ((1e-3 - 1e-5) * (1 + Math.cos((Math.PI * e) / n))) / 2;
    const expected = [cos(0, 2), cos(0, 2), cos(1, 2), cos(1, 2), cos(2, 4), cos(2, 4), cos(3, 4), cos(3, 4)];
    lrs.forEach((lr, i) => expect(lr).toBeCloseTo(expected[i], 9));
  });

  test("recipe options with --resume are refused by name; nothing is changed", () => {
    const before = readFileSync(join(baseRun(), "config.json"), "utf8");
    for (const flags of [["--lr", "0.01"], ["--patch", "32"], ["--out", join(dir, "elsewhere")]]) {
      const r = cli(["baseline", "--resume", base, ...flags]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${flags[0]} cannot be changed`);
    }
    expect(cli(["teacher", "--resume", base]).stderr).toContain("is a baseline run, not a teacher run");
    expect(readFileSync(join(base, "config.json"), "utf8")).toBe(before);
    expect(existsSync(join(dir, "elsewhere"))).toBe(false);
  });
});

describe("nothing is written before the run is known to start", () => {
  test("a missing validation folder or teacher checkpoint is reported before step 1, and no run directory is left", () => {
    const a = join(dir, "no-val");
    const r1 = cli([...fresh(a, "--steps", "2"), "--val", join(dir, "missing-val")]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain("missing-val: image folder not found");
    expect(existsSync(a)).toBe(false);

    const b = join(dir, "no-teacher");
    const r2 = cli(["student", "--backend", "cpu", "--patch", "16", "--batch", "2", "--train", images, "--steps", "2", "--teacher", join(dir, "nope.safetensors"), "--out", b]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain("nope.safetensors");
    expect(existsSync(b)).toBe(false);
  });

  test("--steps that is not a whole number of epochs is refused with both numbers", () => {
    const r = cli(fresh(join(dir, "odd"), "--steps", "1500"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--steps 1500 is not a whole number of 1000-step epochs");
    expect(existsSync(join(dir, "odd"))).toBe(false);
  });
});

describe("pipeline", () => {
  test("stops at the first interrupted stage instead of training the next from it", async () => {
    const out = join(dir, "pipe");
    const proc = Bun.spawn(
      [process.execPath, "train/cli.ts", "pipeline", "--backend", "cpu", "--steps", "100000", "--patch", "16", "--batch", "2", "--train", images, "--out", out],
      { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
    );
    const metrics = join(out, "teacher", "metrics.jsonl");
    for (let i = 0; i < 1200 && !(existsSync(metrics) && readFileSync(metrics, "utf8").split("\n").length > 2); i++) await Bun.sleep(50);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    const stdout = await new Response(proc.stdout).text();
    expect(stdout).toContain("pipeline stopped during the teacher stage");
    expect(stdout).toContain(`teacher --resume ${join(out, "teacher")}`);
    expect(existsSync(join(out, "student"))).toBe(false);
    expect(existsSync(join(out, "baseline"))).toBe(false);
  });
});

