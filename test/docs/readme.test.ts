// The README's library example must keep working: run it as written, on the CPU backend.
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dir, "../..");

test("the README's library example runs and its loss falls", async () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const code = readme.match(/## The engine as a library[\s\S]*?```ts\n([\s\S]*?)```/)?.[1];
  expect(code).toBeDefined();
  // same program, pinned to the CPU so the check does not depend on a driver
  const source = code!.replaceAll("./engine/index.ts", join(root, "engine/index.ts")).replace('backend: "auto"', 'backend: "cpu"');
  const dir = mkdtempSync(join(root, "node_modules", ".readme-"));
  writeFileSync(join(dir, "example.ts"), source);
  const proc = Bun.spawnSync([process.execPath, join(dir, "example.ts")], { cwd: root });
  rmSync(dir, { recursive: true, force: true });
  const out = proc.stdout.toString();
  expect(proc.exitCode).toBe(0);
  const losses = out.trim().split("\n").map((l) => Number(l.split(" ")[1]));
  expect(losses.length).toBe(4);
  expect(losses.every(Number.isFinite)).toBe(true);
  expect(losses[3]).toBeLessThan(losses[0]);
});
