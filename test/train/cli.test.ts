// The command line (train/cli.ts) as a user meets it, through real `bun train/cli.ts …` subprocesses: help
// texts, clear `error:` messages with a non-zero exit for bad input, `upscale` on RGB and greyscale PNGs,
// and `eval` with a CSV. Everything runs on the CPU backend with tiny images and an untrained checkpoint.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { decodeSafetensors, encodeSafetensors } from "../../checkpoint/safetensors.ts";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createBackend } from "../../engine/init.ts";
import { readImage } from "../../image/decode.ts";
import { writePng } from "../../image/encode.ts";
import { makeImage } from "../../image/types.ts";
import { PisrModel } from "../../models/pisr.ts";
import { saveModel } from "../../train/models-io.ts";

setDefaultTimeout(60_000);
const ROOT = resolve(dirname(import.meta.path), "..", "..");

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...args: string[]): Promise<Result> {
  const proc = Bun.spawn([process.execPath, "train/cli.ts", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** A smooth synthetic image (1 or 3 channels) with some edges. */
function synth(w: number, h: number, channels: number, seed: number) {
  const img = makeImage(w, h, channels);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < channels; c++) {
        const v = 0.5 + 0.35 * Math.sin((x + seed) / (3 + c)) * Math.cos((y - seed) / (4 + c)) + ((x + y + seed) % 17 < 8 ? 0.1 : -0.1);
        img.data[(y * w + x) * channels + c] = Math.min(1, Math.max(0, v));
      }
    }
  }
  return img;
}

let dir: string;
let baselineCkpt: string;
let studentCkpt: string;
let teacherCkpt: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cli-test-"));
  const backend = await createBackend("cpu");
  for (const [arch, scale] of [["baseline", 2], ["student", 3], ["teacher", 2]] as const) {
    const model = new PisrModel(arch, { scale }, { seed: 5, backend });
    await saveModel(join(dir, `${arch}.safetensors`), model);
    model.dispose();
  }
  backend.destroy();
  baselineCkpt = join(dir, "baseline.safetensors");
  studentCkpt = join(dir, "student.safetensors");
  teacherCkpt = join(dir, "teacher.safetensors");
  writePng(join(dir, "rgb.png"), synth(23, 17, 3, 1));
  writePng(join(dir, "grey.png"), synth(19, 14, 1, 2));
  mkdirSync(join(dir, "mini"));
  writePng(join(dir, "mini", "a.png"), synth(40, 36, 3, 3));
  writePng(join(dir, "mini", "b.png"), synth(34, 42, 1, 4));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("help", () => {
  test("the main command lists every subcommand", async () => {
    for (const args of [["--help"], ["-h"], ["help"]]) {
      const r = await cli(...args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("usage: bun train/cli.ts <command>");
      for (const c of ["teacher", "student", "baseline", "eval", "upscale", "results", "pipeline"]) expect(r.stdout).toContain(c);
    }
  });

  test("every subcommand's --help exits 0 with its usage", async () => {
    const expected: Record<string, string[]> = {
      teacher: ["usage: bun train/cli.ts teacher", "--lambda-imitation", "--resume"],
      student: ["usage: bun train/cli.ts student", "--teacher CKPT", "--lambda-vid"],
      baseline: ["usage: bun train/cli.ts baseline", "--iters-per-epoch"],
      eval: ["usage: bun train/cli.ts eval", "--csv"],
      upscale: ["usage: bun train/cli.ts upscale", "--tile"],
      results: ["usage: bun train/cli.ts results", "--sample"],
      pipeline: ["usage: bun train/cli.ts pipeline", "--steps"],
    };
    const results = await Promise.all(Object.keys(expected).map((c) => cli(c, "--help")));
    Object.entries(expected).forEach(([c, needles], i) => {
      const r = results[i];
      expect({ c, code: r.code, stderr: r.stderr }).toEqual({ c, code: 0, stderr: "" });
      for (const n of needles) expect(r.stdout).toContain(n);
    });
  });
});

describe("bad input exits non-zero with an error: line naming the problem", () => {
  const cases: [string, () => string[], RegExp][] = [
    ["unknown command", () => ["frobnicate"], /^error: unknown command "frobnicate"/m],
    ["unknown flag", () => ["teacher", "--bogus-flag", "1"], /^error: .*--bogus-flag/m],
    ["unknown flag on eval", () => ["eval", "--model", "bicubic", "--nope"], /^error: .*--nope/m],
    ["--scale 5", () => ["baseline", "--scale", "5", "--train", join(dir, "mini"), "--out", join(dir, "never-a")], /^error: .*--scale must be 2, 3 or 4, got 5/m],
    ["student without --teacher", () => ["student", "--train", join(dir, "mini"), "--out", join(dir, "never-b")], /^error: .*student needs --teacher/m],
    ["non-numeric number", () => ["teacher", "--lr", "fast", "--train", join(dir, "mini"), "--out", join(dir, "never-c")], /^error: --lr expects a number, got "fast"/m],
    ["non-numeric --batch", () => ["baseline", "--batch", "4x"], /^error: --batch expects a number, got "4x"/m],
    ["eval on a missing set folder", () => ["eval", "--model", "bicubic", "--scale", "2", "--sets", join(dir, "no-such-set")], /^error: benchmark folder not found: .*no-such-set/m],
    ["eval bicubic without --scale", () => ["eval", "--model", "bicubic", "--sets", join(dir, "mini")], /^error: .*needs --scale/m],
    ["upscale with a teacher checkpoint", () => ["upscale", "--model", teacherCkpt, "--input", join(dir, "rgb.png"), "--output", join(dir, "never.png"), "--backend", "cpu"], /^error: .*teacher needs the HR image/m],
    ["upscale with a missing input", () => ["upscale", "--model", baselineCkpt, "--input", join(dir, "missing.png"), "--output", join(dir, "never.png"), "--backend", "cpu"], /^error: .*missing\.png/m],
    ["resume of a directory without a run", () => ["baseline", "--resume", join(dir, "no-run")], /^error: .*no-run.*no config\.json/m],
    ...["0", "-5", "2.5"].map((t): [string, () => string[], RegExp] => [
      `upscale --tile ${t}`, () => ["upscale", "--model", baselineCkpt, "--input", join(dir, "rgb.png"), "--output", join(dir, "never.png"), "--backend", "cpu", `--tile=${t}`],
      new RegExp(`^error: --tile must be a positive integer \\(LR pixels\\), got ${t.replace(".", "\\.")}`, "m"),
    ]),
    ["upscale without --output", () => ["upscale", "--input", join(dir, "rgb.png")], /^error: upscale needs --input and --output/m],
    ["--val-limit -1", () => ["baseline", "--train", join(dir, "mini"), "--out", join(dir, "never-d"), "--val-limit=-1"], /^error: .*--val-limit must be a positive integer, got -1/m],
    ["eval on an image smaller than the scale names the image", () => {
      mkdirSync(join(dir, "tiny"), { recursive: true });
      writePng(join(dir, "tiny", "dot.png"), synth(3, 3, 3, 1));
      return ["eval", "--model", "bicubic", "--scale", "4", "--sets", join(dir, "tiny")];
    }, /^error: .*tiny\/dot\.png: /m],
    ["eval on an image too small to shave names the image", () => {
      mkdirSync(join(dir, "small"), { recursive: true });
      writePng(join(dir, "small", "five.png"), synth(5, 4, 3, 1));
      return ["eval", "--model", "bicubic", "--scale", "4", "--sets", join(dir, "small")];
    }, /^error: .*small\/five\.png: shave/m],
  ];
  for (const [name, args, pattern] of cases) {
    test(name, async () => {
      const r = await cli(...args());
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toMatch(/^\s+at /m); // a message, not a stack trace
    });
  }

  test("rejected training commands leave no run directory behind", () => {
    for (const d of ["never-a", "never-b", "never-c"]) expect(existsSync(join(dir, d))).toBe(false);
    expect(existsSync(join(dir, "never.png"))).toBe(false);
  });
});

describe("upscale as users run it", () => {
  test("--output .jpg writes a JPEG (with --quality), an unknown extension is refused before any work", async () => {
    const jpg = join(dir, "rgb-x2.jpg");
    const r = await cli("upscale", "--model", baselineCkpt, "--input", join(dir, "rgb.png"), "--output", jpg, "--backend", "cpu", "--quality", "80");
    expect(r.code).toBe(0);
    const bytes = readFileSync(jpg);
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]); // JPEG SOI, not PNG bytes
    expect([readImage(jpg).width, readImage(jpg).height]).toEqual([46, 34]);
    const bad = await cli("upscale", "--model", baselineCkpt, "--input", join(dir, "rgb.png"), "--output", join(dir, "out.webp"), "--backend", "cpu");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('out.webp: cannot tell the output format from ".webp"');
    expect(existsSync(join(dir, "out.webp"))).toBe(false);
  });

  test("alpha is kept: grey+alpha and RGBA PNGs come out with their (bicubic) alpha", async () => {
    for (const [name, channels] of [["ga.png", 2], ["rgba.png", 4]] as const) {
      const src = join(dir, name);
      const img = synth(15, 11, channels, 6);
      for (let i = 0; i < 15 * 11; i++) img.data[i * channels + channels - 1] = (i % 15) / 14; // a horizontal alpha ramp
      writePng(src, img);
      const out = join(dir, `alpha-${name}`);
      const r = await cli("upscale", "--model", baselineCkpt, "--input", src, "--output", out, "--backend", "cpu");
      expect(r.code).toBe(0);
      const got = readImage(out, { alpha: true });
      expect([got.width, got.height, got.channels]).toEqual([30, 22, channels]);
      const a = (x: number, y: number) => got.data[(y * 30 + x) * channels + channels - 1];
      expect(a(0, 5)).toBeLessThan(0.05);
      expect(a(29, 5)).toBeGreaterThan(0.95);
    }
  });

  test("a headerless PyTorch checkpoint: --scale supplies the scale, without it the error says so", async () => {
    const torch = join(ROOT, "test/fixtures/train/torch_baseline_x4.safetensors"); // its header gives ×4
    const novid = join(ROOT, "test/fixtures/train/torch_student_novid_x2.safetensors");
    const out = join(dir, "torch-x4.png");
    expect((await cli("upscale", "--model", torch, "--input", join(dir, "grey.png"), "--output", out, "--backend", "cpu")).code).toBe(0);
    expect(readImage(out).width).toBe(76);
    const noScale = join(dir, "noscale.safetensors");
    const { tensors } = decodeSafetensors(readFileSync(join(ROOT, "test/fixtures/train/torch_student_x3.safetensors")));
    writeFileSync(noScale, encodeSafetensors(tensors, {}));
    const r = await cli("upscale", "--model", noScale, "--input", join(dir, "grey.png"), "--output", join(dir, "never.png"), "--backend", "cpu");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("pass --scale");
    expect((await cli("upscale", "--model", noScale, "--scale", "3", "--input", join(dir, "grey.png"), "--output", join(dir, "s3.png"), "--backend", "cpu")).code).toBe(0);
    // a student exported without its VID estimator (and without a scale in its header)
    expect((await cli("upscale", "--model", novid, "--scale", "2", "--input", join(dir, "grey.png"), "--output", join(dir, "nv.png"), "--backend", "cpu")).code).toBe(0);
  });

  test("the input is not replaced without --overwrite", async () => {
    const target = join(dir, "self.png");
    writePng(target, synth(12, 10, 3, 9));
    const before = readFileSync(target);
    const r = await cli("upscale", "--model", "bicubic", "--scale", "2", "--input", target, "--output", target);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is the input image; pass --overwrite");
    expect(readFileSync(target)).toEqual(before);
    const ok = await cli("upscale", "--model", "bicubic", "--scale", "2", "--input", target, "--output", target, "--overwrite");
    expect(ok.code).toBe(0);
    expect(readImage(target).width).toBe(24);
  });

  test("a folder in, a folder out: one line per image", async () => {
    const out = join(dir, "mini-x2");
    const r = await cli("upscale", "--model", baselineCkpt, "--input", join(dir, "mini"), "--output", out, "--backend", "cpu");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("[1/2]");
    expect(r.stdout).toContain("[2/2]");
    expect([readImage(join(out, "a.png")).width, readImage(join(out, "b.png")).height]).toEqual([80, 84]);
  });

  test("--model bicubic with --scale; a checkpoint's scale is checked against --scale", async () => {
    const out = join(dir, "bicubic-x3.png");
    const r = await cli("upscale", "--model", "bicubic", "--scale", "3", "--input", join(dir, "grey.png"), "--output", out);
    expect(r.code).toBe(0);
    expect([readImage(out).width, readImage(out).channels]).toEqual([57, 1]);
    const bad = await cli("upscale", "--model", baselineCkpt, "--scale", "4", "--input", join(dir, "rgb.png"), "--output", join(dir, "never.png"), "--backend", "cpu");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("is a ×2 model, not ×4");
  });

  test("eval without --model, and no command at all, exit 2 after the usage", async () => {
    for (const args of [["eval"], []]) {
      const r = await cli(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("usage: bun train/cli.ts");
      expect(r.stderr).toMatch(/^error: /m);
    }
  });

  test("eval --limit and --scale are validated", async () => {
    for (const [flag, value] of [["--limit", "0"], ["--limit", "2.5"], ["--scale", "5"], ["--scale", "0"]]) {
      const r = await cli("eval", "--model", "bicubic", "--sets", join(dir, "mini"), "--scale", flag === "--scale" ? value : "2", ...(flag === "--limit" ? [`--limit=${value}`] : []));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^error: ${flag} must be`, "m"));
    }
  });

  test("a stage's --help lists only its own options", async () => {
    const [teacher, student, baseline] = await Promise.all(["teacher", "student", "baseline"].map((c) => cli(c, "--help")));
    expect(teacher.stdout).toContain("--lambda-imitation");
    expect(teacher.stdout).not.toContain("--lambda-vid");
    expect(student.stdout).toContain("--lambda-vid");
    expect(student.stdout).not.toContain("--lambda-imitation");
    expect(baseline.stdout).not.toMatch(/--teacher|--lambda|--vid-pdf/);
  });
});

describe("upscale", () => {
  test("an RGB PNG becomes an RGB PNG of exactly scale× the size (×2 baseline)", async () => {
    const out = join(dir, "rgb-x2.png");
    const r = await cli("upscale", "--model", baselineCkpt, "--input", join(dir, "rgb.png"), "--output", out, "--backend", "cpu");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("(23×17)");
    expect(r.stdout).toContain("(46×34)");
    const img = readImage(out);
    expect([img.width, img.height, img.channels]).toEqual([46, 34, 3]);
  });

  test("a greyscale PNG stays greyscale, ×3 student, tiled", async () => {
    const out = join(dir, "grey-x3.png");
    const r = await cli("upscale", "--model", studentCkpt, "--input", join(dir, "grey.png"), "--output", out, "--backend", "cpu", "--tile", "8");
    expect(r.code).toBe(0);
    const img = readImage(out);
    expect([img.width, img.height, img.channels]).toEqual([57, 42, 1]);
  });
});

test("eval --model bicubic prints a table and writes a CSV with one row per image", async () => {
  const csv = join(dir, "out.csv");
  const r = await cli("eval", "--model", "bicubic", "--scale", "2", "--sets", join(dir, "mini"), "--csv", csv);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("| model | mini |");
  const row = r.stdout.split("\n").find((l) => l.startsWith("| bicubic |"));
  expect(row).toBeDefined();
  const [p, s] = row!.split("|")[2].split("/").map(Number);
  expect(p).toBeGreaterThan(10);
  expect(s).toBeGreaterThan(0);
  expect(s).toBeLessThanOrEqual(1);
  const lines = readFileSync(csv, "utf8").trim().split("\n");
  expect(lines[0]).toBe("set,image,psnr,ssim");
  expect(lines).toHaveLength(3);
  const names = lines.slice(1).map((l) => l.split(",").slice(0, 2).join(","));
  expect(names.sort()).toEqual(["mini,a.png", "mini,b.png"]);
  for (const l of lines.slice(1)) {
    const [, , psnr, ssim] = l.split(",").map(Number);
    expect(Number.isFinite(psnr) && Number.isFinite(ssim)).toBe(true);
  }
});

test("eval of a checkpoint on the CPU backend", async () => {
  const r = await cli("eval", "--model", baselineCkpt, "--scale", "2", "--sets", join(dir, "mini"), "--backend", "cpu");
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/\| .*baseline\.safetensors \| \d+\.\d\d \/ -?\d\.\d{4} \|/);
  const wrong = await cli("eval", "--model", baselineCkpt, "--scale", "3", "--sets", join(dir, "mini"), "--backend", "cpu");
  expect(wrong.code).not.toBe(0);
  expect(wrong.stderr).toMatch(/^error: .*×2 model, not ×3/m);
});
