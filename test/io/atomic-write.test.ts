import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileAtomically } from "../../io/atomic-write.ts";

function inTempDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "atomic-write-"));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("writes a new file and replaces an old one whole, leaving no temporary file", () =>
  inTempDir((dir) => {
    const path = join(dir, "table.md");
    writeFileAtomically(path, "first version, longer than the second\n");
    writeFileAtomically(path, "second\n");
    expect(readFileSync(path, "utf8")).toBe("second\n");
    writeFileAtomically(path, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(["table.md"]);
  }));

test("parts are written one after the other, as one file (empty parts and views included)", () =>
  inTempDir((dir) => {
    const path = join(dir, "parts.bin");
    writeFileAtomically(path, "old contents, longer than the parts");
    const big = new Uint8Array(3_000_000).map((_, i) => i % 251);
    writeFileAtomically(path, [Uint8Array.of(1, 2), new Uint8Array(0), big.subarray(5, 2_999_990), Uint8Array.of(9)]);
    const back = readFileSync(path);
    expect(back.length).toBe(2 + 2_999_985 + 1);
    expect([...back.subarray(0, 4)]).toEqual([1, 2, 5, 6]);
    expect(back[back.length - 2]).toBe(2_999_989 % 251);
    expect(back[back.length - 1]).toBe(9);
    expect(readdirSync(dir)).toEqual(["parts.bin"]);
  }));

test("a missing folder: the error names the target and what was written, nothing is created", () =>
  inTempDir((dir) => {
    const path = join(dir, "no-such-dir", "plot.svg");
    expect(() => writeFileAtomically(path, "<svg/>", "plot")).toThrow(/no-such-dir\/plot\.svg: cannot write plot: /);
    expect(readdirSync(dir)).toEqual([]);
  }));

test("a failed rename (the target is a non-empty folder) removes the temporary file and keeps what was there", () =>
  inTempDir((dir) => {
    const path = join(dir, "metrics.jsonl");
    mkdirSync(path);
    writeFileSync(join(path, "kept"), "user data");
    expect(() => writeFileAtomically(path, "{}\n", "metrics")).toThrow(/metrics\.jsonl: cannot write metrics: /);
    expect(readdirSync(dir)).toEqual(["metrics.jsonl"]);
    expect(readFileSync(join(path, "kept"), "utf8")).toBe("user data");
  }));
