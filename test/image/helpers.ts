import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** Repository root (this file is test/image/helpers.ts). */
export const REPO_ROOT = resolve(dirname(import.meta.path), "..", "..");
export const FIXTURES = join(REPO_ROOT, "test", "fixtures", "image");

export function fixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as T;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
