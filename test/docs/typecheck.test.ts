// The whole project type-checks under the strict tsconfig (Bun runs TypeScript without checking types).
import { expect, test } from "bun:test";
import { resolve } from "node:path";

test("tsc --noEmit reports no errors", () => {
  const root = resolve(import.meta.dir, "../..");
  const proc = Bun.spawnSync([resolve(root, "node_modules/.bin/tsc"), "--noEmit", "-p", root], { cwd: root });
  const out = proc.stdout.toString() + proc.stderr.toString();
  expect(out.trim()).toBe("");
  expect(proc.exitCode).toBe(0);
});
