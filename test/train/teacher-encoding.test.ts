// scripts/teacher-encoding.ts: what a teacher's encoder makes of a picture — its statistics against the bicubic
// LR by hand, and the script end to end on a small teacher checkpoint.

import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readImage } from "../../image/decode.ts";
import { makePlane } from "../../image/types.ts";
import { encodingStats, stretched } from "../../scripts/teacher-encoding.ts";

const ROOT = resolve(import.meta.dir, "../..");

test("encodingStats: mean |difference|, correlation (up to brightness and contrast) and range; stretched maps the range onto [0, 1]", () => {
  const bicubic = makePlane(2, 2, Float32Array.from([0.1, 0.4, 0.2, 0.9]));
  const affine = makePlane(2, 2, bicubic.data.map((v) => 2 * v + 0.5)); // 0.7, 1.3, 0.9, 2.3
  const s = encodingStats(affine, bicubic);
  expect(s.meanAbsDiff).toBeCloseTo((0.6 + 0.9 + 0.7 + 1.4) / 4, 6);
  expect(s.correlation).toBeCloseTo(1, 6);
  expect([s.min, s.max].map((v) => +v.toFixed(6))).toEqual([0.7, 2.3]);
  const inverted = encodingStats(makePlane(2, 2, bicubic.data.map((v) => 1 - v)), bicubic);
  expect(inverted.correlation).toBeCloseTo(-1, 6);
  expect(encodingStats(makePlane(2, 2, new Float32Array(4).fill(0.3)), bicubic).correlation).toBe(0); // a flat map
  const st = stretched(affine, s.min, s.max);
  expect(Array.from(st.data).map((v) => +v.toFixed(6))).toEqual([0, 0.375, 0.125, 1]);
});

test("the script writes (into a new folder if need be) the encoded, stretched and bicubic LR planes of a picture; a missing checkpoint exits 2", () => {
  const out = mkdtempSync(join(tmpdir(), "teacher-encoding-"));
  try {
    const run = (...args: string[]) => Bun.spawnSync([process.execPath, "scripts/teacher-encoding.ts", ...args], { cwd: ROOT });
    const r = run("test/fixtures/train/torch_teacher_x2.safetensors", "test/fixtures/image/files/colour.jpg", join(out, "new", "c"), "--backend", "cpu", "--scale", "2");
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toMatch(/mean \|difference\| \d\.\d{4}, PSNR -?\d+\.\d\d dB, correlation -?\d\.\d{4}, encoded range/);
    for (const f of ["c-encoded.png", "c-encoded-stretched.png", "c-bicubic.png"]) {
      const img = readImage(join(out, "new", f)); // the prefix's folder is created
      expect([img.width, img.height, img.channels]).toEqual([16, 12, 1]); // 32×24 at ×2
    }
    const st = readImage(join(out, "new", "c-encoded-stretched.png")).data;
    expect(Math.min(...st)).toBe(0);
    expect(Math.max(...st)).toBe(1);
    const missing = run(join(out, "nowhere.safetensors"), "test/fixtures/image/files/colour.jpg", join(out, "d"));
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr.toString()).toContain("nowhere.safetensors: no such teacher checkpoint");
    expect(existsSync(join(out, "d-encoded.png"))).toBe(false);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
