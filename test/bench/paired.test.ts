// bench/lib/paired.ts: two workers alternating step by step (bench/run.ts's default for the engine vs PyTorch).
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LineReader, runPaired, type Worker } from "../../bench/lib/paired.ts";
import { parseWorkerArgs } from "../../bench/workloads.ts";

const FAKE = join(import.meta.dir, "../fixtures/bench/fake-worker.ts");
const fake = (name: string, ms: number, log: string, mode = ""): Worker => ({
  label: name,
  command: (extra) => [process.execPath, FAKE, name, String(ms), log, mode, ...extra].filter(Boolean),
});

describe("runPaired", () => {
  test("alternates the workers (A B, B A, …), keeps their result lines, and takes the median of the step ratios", async () => {
    const dir = mkdtempSync(join(tmpdir(), "paired-"));
    try {
      const log = join(dir, "order.log");
      const a = fake("A", 30, log), b = fake("B", 12, log);
      const run = await runPaired(a, b, { pairs: 5, extra: ["--warmup", "1"], gapMs: 1 });
      expect(run.error).toBeNull();
      expect(run.order).toEqual(["A", "B", "B", "A", "A", "B", "B", "A", "A", "B"]);
      // the workers' own log agrees: they really were stepped in that order
      expect(readFileSync(log, "utf8").trim().split("\n")).toEqual(run.order);
      expect(run.ratio).toBeCloseTo(30 / 12, 12);
      const resultOf = (w: Worker) => run.lines.get(w)!.find((l) => "median_ms" in l)!;
      expect(resultOf(a)).toMatchObject({ impl: "A", median_ms: 30, runs: 5 });
      expect(resultOf(b)).toMatchObject({ impl: "B", median_ms: 12, runs: 5 });
      expect(run.lines.get(a)!.some((l) => l.meta)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a worker that dies is reported with what it said on stderr, and the other one is stopped", async () => {
    const dir = mkdtempSync(join(tmpdir(), "paired-"));
    try {
      const log = join(dir, "order.log");
      const run = await runPaired(fake("A", 10, log), fake("B", 10, log, "die-after-ready"), { pairs: 3, extra: [], gapMs: 1 });
      expect(run.error).toContain("B exited (3)");
      expect(run.error).toContain("giving up on purpose");
      expect(Number.isNaN(run.ratio)).toBe(true);
      expect(run.order).toEqual(["A"]); // A stepped once; B's turn found it gone
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("LineReader", () => {
  test("splits chunks at newlines, whatever the chunk boundaries, and returns the unterminated rest last", async () => {
    const chunks = ["one\ntw", "o\n", "\nthr", "ee"];
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (const s of chunks) c.enqueue(new TextEncoder().encode(s));
        c.close();
      },
    });
    const r = new LineReader(stream);
    const got: (string | null)[] = [];
    for (let i = 0; i < 5; i++) got.push(await r.next());
    expect(got).toEqual(["one", "two", "", "three", null]);
  });
});

describe("parseWorkerArgs --serve", () => {
  test("takes exactly one workload", () => {
    expect(parseWorkerArgs(["--only", "B3", "--serve"], { backend: "webgpu" })).toMatchObject({ only: ["B3"], serve: true });
    expect(parseWorkerArgs(["--only", "B3"], { backend: "webgpu" }).serve).toBe(false);
    expect(() => parseWorkerArgs(["--only", "B1,B3", "--serve"], { backend: "webgpu" })).toThrow("exactly one workload");
  });
});
