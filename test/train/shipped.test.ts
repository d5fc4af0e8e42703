// The trained ×4 weights shipped in weights/ (scripts/ship-weights.ts): they super-resolve (≥ 1 dB over bicubic
// on Set5), their header tells their recipe, iterations and Set5 score truthfully, the PISR student is not worse
// than the baseline trained for as long, and the copy embedded for createUpscaler() is the default file.

import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createUpscaler } from "../../embed/index.ts";
import { SHIPPED_WEIGHTS_BASE64, SHIPPED_WEIGHTS_FILE } from "../../embed/shipped-weights.ts";
import { crop } from "../../image/crop.ts";
import { readImage } from "../../image/decode.ts";
import { BENCHMARK_DIR } from "../../image/paths.ts";
import { loadCheckpoint } from "../../train/checkpoint.ts";
import { evaluateModel } from "../../train/evaluate-model.ts";
import { defaultWeights, shippedFile } from "../../train/shipped.ts";

setDefaultTimeout(600_000);
const ROOT = resolve(import.meta.dir, "../..");
const SET5 = join(BENCHMARK_DIR, "Set5");
const BICUBIC_SET5_X4 = 28.42; // published (MATLAB); ours reproduces 28.43 (image/README.md)
const quiet = () => {};

const shipped = (["baseline", "student"] as const).filter((k) => existsSync(shippedFile(k)));

describe("shipped ×4 weights", () => {
  test("at least the baseline is shipped, and the default is the student when there is one", () => {
    expect(shipped).toContain("baseline");
    expect(defaultWeights(4).kind).toBe(shipped.includes("student") ? "student" : "baseline");
  });

  for (const kind of shipped) {
    test(`${kind}: ≥ 1 dB over bicubic on Set5, and its header's Set5 score, recipe and iterations are true`, async () => {
      const path = shippedFile(kind);
      const { metadata } = await loadCheckpoint(path);
      const [set5] = await evaluateModel(path, [SET5], 4, "auto", undefined, quiet);
      console.log(`${kind}: Set5 ×4 ${set5.psnr.toFixed(3)} dB / ${set5.ssim.toFixed(4)} (header ${metadata.set5_psnr})`);
      expect(set5.psnr).toBeGreaterThanOrEqual(BICUBIC_SET5_X4 + 1);
      expect(Math.abs(set5.psnr - Number(metadata.set5_psnr))).toBeLessThan(0.01);
      expect(metadata.architecture).toBe(kind);
      const recipe = JSON.parse(metadata.recipe);
      expect(recipe).toMatchObject({ mode: kind, scale: 4, patch: 96, batch: 16 });
      expect(Number(metadata.iterations)).toBe(recipe.epochs * recipe.itersPerEpoch);
    });
  }

  // defined once a student is shipped (until then the test above checks that the default is the baseline)
  if (shipped.includes("student")) test("the PISR student scores ≥ the baseline − 0.05 dB on Set5", async () => {
    const [student] = await evaluateModel(shippedFile("student"), [SET5], 4, "auto", undefined, quiet);
    const [baseline] = await evaluateModel(shippedFile("baseline"), [SET5], 4, "auto", undefined, quiet);
    expect(student.psnr).toBeGreaterThanOrEqual(baseline.psnr - 0.05);
  });

  test("createUpscaler() without weights upscales ×4 with the shipped default", async () => {
    const sr = await createUpscaler({ backend: "cpu" });
    expect(sr.scale).toBe(4);
    expect(sr.architecture as string).toBe(defaultWeights(4).kind);
    expect(sr.metadata.iterations).toBeDefined();
    const out = await sr.upscale({ width: 5, height: 3, channels: 3, data: new Uint8Array(45).map((_, i) => (i * 37) % 256) });
    expect([out.width, out.height]).toEqual([20, 12]);
    sr.dispose();
  });

  test("`results` (the main job) evaluates the shipped weights against bicubic and upscales a sample with each", () => {
    const out = mkdtempSync(join(tmpdir(), "results-test-"));
    try {
      const r = Bun.spawnSync([process.execPath, "train/cli.ts", "results", "--sets", "Set5", "--limit", "2", "--out", out], { cwd: ROOT });
      const stdout = r.stdout.toString();
      expect(r.exitCode).toBe(0);
      expect(stdout).toMatch(/\| bicubic \| \d+\.\d\d \/ 0\.\d{4} \|/);
      for (const kind of shipped) expect(stdout).toContain(kind === "student" ? "FSRCNN PISR student" : "FSRCNN baseline");
      for (const f of ["comic-lr.png", "comic-hr.png", "comic-x4-bicubic.png", ...shipped.map((k) => `comic-x4-${k}.png`)]) expect(existsSync(join(out, f))).toBe(true);
      // bicubic, each shipped model, the ground truth: panels of the picture's size, 8 columns apart
      const hr = readImage(join(out, "comic-hr.png")), panels = readImage(join(out, "comic-x4-side-by-side.png"));
      const n = shipped.length + 2;
      expect([panels.width, panels.height]).toEqual([n * hr.width + 8 * (n - 1), hr.height]);
      const right = n * hr.width + 8 * (n - 1) - hr.width;
      expect(Array.from(crop(panels, right, 0, hr.width, hr.height).data)).toEqual(Array.from(hr.data));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test("embed/shipped-weights.ts holds exactly the default file", () => {
    const { path } = defaultWeights(4);
    expect(SHIPPED_WEIGHTS_FILE).toBe(path.split("/").pop()!);
    expect(Buffer.from(SHIPPED_WEIGHTS_BASE64, "base64").equals(readFileSync(path))).toBe(true);
  });
});
