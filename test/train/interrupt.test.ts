// Ctrl-C during training: the CLI writes a checkpoint, exits with 130, and --resume finishes the run.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { writePng } from "../../image/encode.ts";
import { makeImage } from "../../image/types.ts";

setDefaultTimeout(120_000);
const ROOT = resolve(dirname(import.meta.path), "..", "..");
const dir = mkdtempSync(join(tmpdir(), "interrupt-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function trainingImages(): string {
  const folder = join(dir, "train");
  mkdirSync(folder);
  for (let k = 0; k < 3; k++) {
    const img = makeImage(40, 40, 3);
    img.data.forEach((_, i) => (img.data[i] = 0.5 + 0.4 * Math.sin(i / (7 + k))));
    writePng(join(folder, `${k}.png`), img);
  }
  return folder;
}

test("SIGINT writes a checkpoint and exits 130; --resume continues to the end", async () => {
  const out = join(dir, "run");
  const args = ["train/cli.ts", "baseline", "--backend", "cpu", "--patch", "16", "--batch", "2", "--epochs", "1",
    "--iters-per-epoch", "100000", "--train", trainingImages(), "--val", join(dir, "train"), "--out", out];
  const proc = Bun.spawn([process.execPath, ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  // wait for training to be under way (metrics appear after the first step), then interrupt
  const metrics = join(out, "metrics.jsonl");
  for (let i = 0; i < 600 && !(existsSync(metrics) && readFileSync(metrics, "utf8").split("\n").length > 3); i++) await Bun.sleep(100);
  proc.kill("SIGINT");
  const code = await proc.exited;
  const stdout = await new Response(proc.stdout).text();
  expect(code).toBe(130);
  expect(stdout).toContain("interrupted (SIGINT): checkpoint written at step");
  const step = Number(stdout.match(/checkpoint written at step (\d+)/)![1]);
  expect(step).toBeGreaterThan(1);
  for (const f of ["last.safetensors", "resume.safetensors", "config.json"]) expect(existsSync(join(out, f))).toBe(true);

  // shorten the remaining run through the stored config, then resume it
  const configPath = join(out, "config.json");
  const cfg = JSON.parse(readFileSync(configPath, "utf8"));
  cfg.itersPerEpoch = step + 2;
  await Bun.write(configPath, JSON.stringify(cfg));
  const resumed = Bun.spawnSync([process.execPath, "train/cli.ts", "baseline", "--resume", out], { cwd: ROOT });
  expect(resumed.exitCode).toBe(0);
  expect(resumed.stdout.toString()).toContain(`resumed ${out} at step ${step}`);
  const steps = readFileSync(metrics, "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((r) => r.loss !== undefined).map((r) => r.step);
  expect(steps.slice(-3)).toEqual([step, step + 1, step + 2]);
});
