// `compare` and its statistics: the paired difference against hand-computed values, Student's t against
// tabulated quantiles, the pairing of two models' per-image results by name, and the command end to end.

import { expect, setDefaultTimeout, test } from "bun:test";
import { resolve } from "node:path";
import type { SetResult } from "../../image/evaluate.ts";
import { compareSets, formatComparison, formatGapTable } from "../../train/compare-command.ts";
import { pairedDifference, regularizedBeta, significant, studentTCdf, studentTQuantile } from "../../train/paired-difference.ts";

setDefaultTimeout(300_000);
const ROOT = resolve(import.meta.dir, "../..");

test("pairedDifference: mean, standard error, t interval and wins of the per-item differences", () => {
  // d = [1, 0, 2]: mean 1, sample variance ((0)² + (−1)² + 1²) / 2 = 1, se = 1/√3, t(0.975, 2) = 4.302653
  const p = pairedDifference([1, 2, 3], [0, 2, 1]);
  expect(p.n).toBe(3);
  expect(p.mean).toBeCloseTo(1, 12);
  expect(p.se).toBeCloseTo(1 / Math.sqrt(3), 12);
  expect(p.hi - p.mean).toBeCloseTo(4.302653 / Math.sqrt(3), 5);
  expect(p.mean - p.lo).toBeCloseTo(p.hi - p.mean, 12);
  expect([p.wins, p.losses]).toEqual([2, 0]);
  expect(significant(p)).toBe(false); // 1 − 2.48 < 0
  const q = pairedDifference([1.1, 2.1, 3.2, 4.1], [1, 2, 3, 4]); // d = 0.1, 0.1, 0.2, 0.1: all positive, tight
  expect(q.lo).toBeGreaterThan(0);
  expect(significant(q)).toBe(true);
  const one = pairedDifference([5], [4]);
  expect(one.mean).toBe(1);
  expect(Number.isNaN(one.lo)).toBe(true);
  const same = pairedDifference([1, 2], [1, 2]);
  expect([same.lo, same.hi, significant(same)]).toEqual([0, 0, false]);
  expect(() => pairedDifference([1, 2], [1])).toThrow("2 values against 1");
  expect(() => pairedDifference([], [])).toThrow("no values");
});

test("Student's t: quantiles match the tables, the CDF is symmetric, the incomplete beta matches a binomial sum", () => {
  // two-sided 95% critical values (scipy.stats.t.ppf(0.975, df))
  for (const [df, t] of [[1, 12.706205], [2, 4.302653], [4, 2.776445], [13, 2.160369], [30, 2.042272], [99, 1.984217], [1e6, 1.959966]]) {
    expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 5);
  }
  expect(studentTCdf(0, 5)).toBeCloseTo(0.5, 14);
  expect(studentTCdf(-1.3, 7) + studentTCdf(1.3, 7)).toBeCloseTo(1, 14);
  // I_x(2, 3) = Σ_{j=2..4} C(4, j) x^j (1 − x)^(4−j)
  const x = 0.3;
  expect(regularizedBeta(x, 2, 3)).toBeCloseTo(6 * x ** 2 * (1 - x) ** 2 + 4 * x ** 3 * (1 - x) + x ** 4, 13);
  expect(regularizedBeta(0.9, 2, 3)).toBeCloseTo(6 * 0.81 * 0.01 + 4 * 0.729 * 0.1 + 0.6561, 13);
  expect(() => studentTQuantile(0.4, 3)).toThrow("(0.5, 1)");
});

const set = (images: [string, number][]): SetResult => ({
  folder: "/data/Set5", scale: 4, psnr: images.reduce((s, [, p]) => s + p, 0) / images.length, ssim: 0.5,
  images: images.map(([name, psnr]) => ({ name, width: 8, height: 8, psnr, ssim: 0.5 })),
});

test("compareSets pairs the images by name, whatever their order, and refuses sets that differ", () => {
  const [r] = compareSets([set([["a", 30], ["b", 28]])], [set([["b", 27], ["a", 30.5]])]);
  expect(r.set).toBe("Set5");
  expect(r.psnr.mean).toBeCloseTo(((30 - 30.5) + (28 - 27)) / 2, 12);
  expect([r.psnr.wins, r.psnr.losses]).toEqual([1, 1]);
  expect(formatComparison([r])).toContain("| Set5 | 2 | 29.00 | 28.75 | +0.250 |");
  expect(formatComparison([r])).toContain("(includes 0)");
  expect(() => compareSets([set([["a", 30]])], [set([["c", 30]])])).toThrow("Set5/a was evaluated for one model only");
  expect(() => compareSets([set([["a", 30]])], [set([["a", 30], ["b", 1]])])).toThrow("1 images for one model, 2 for the other");
});

test("formatGapTable: one row per model, per set the gap to the reference with its interval, * where it excludes 0", () => {
  const ref = [set([["a", 30], ["b", 28], ["c", 29]])];
  const clear = compareSets([set([["a", 30.2], ["b", 28.3], ["c", 29.25]])], ref); // +0.2, +0.3, +0.25
  const mixed = compareSets([set([["a", 30.5], ["b", 27.5], ["c", 29]])], ref); // +0.5, −0.5, 0
  const table = formatGapTable("row 1", [{ name: "4. PISR", comparisons: clear }, { name: "2. init", comparisons: mixed }]).split("\n");
  expect(table[0]).toBe("| − row 1 (dB, 95% interval) | Set5 |");
  expect(table[2]).toMatch(/^\| 4\. PISR \| \+0\.250 \(\+0\.1\d\d … \+0\.3\d\d\) \* \|$/);
  expect(table[3]).toMatch(/^\| 2\. init \| \+0\.000 \(−\d\.\d{3} … \+\d\.\d{3}\) \|$/);
});

test("`compare`: the shipped baseline against bicubic on two Set5 images; bad input exits 2 with the reason", () => {
  const run = (...args: string[]) => Bun.spawnSync([process.execPath, "train/cli.ts", "compare", ...args], { cwd: ROOT });
  const r = run("--model", "weights/fsrcnn-x4-baseline.safetensors", "--against", "bicubic", "--sets", "Set5", "--limit", "2", "--backend", "cpu");
  const out = r.stdout.toString();
  expect(r.exitCode).toBe(0);
  // the trained network beats bicubic on both pictures by about a dB
  const row = out.split("\n").find((l) => l.startsWith("| Set5 |"))!;
  expect(row).toMatch(/^\| Set5 \| 2 \| \d+\.\d\d \| \d+\.\d\d \| \+\d\.\d{3} \| .* \| 2 \/ 2 \| \+0\.\d{4} \|$/);
  const missing = run("--model", "bicubic");
  expect(missing.exitCode).toBe(2);
  expect(missing.stderr.toString()).toContain("compare needs --model A and --against B");
  const noScale = run("--model", "bicubic", "--against", "bicubic", "--sets", "Set5");
  expect(noScale.exitCode).toBe(2);
  expect(noScale.stderr.toString()).toContain("bicubic against bicubic needs --scale");
  const noFile = run("--model", "nowhere.safetensors", "--against", "bicubic", "--sets", "Set5");
  expect(noFile.exitCode).toBe(2);
  expect(noFile.stderr.toString()).toContain("nowhere.safetensors");
});
