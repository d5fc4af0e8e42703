// The maintenance scripts parse their flags through parseFlags (train/cli-args.ts): a flag they do not know, or
// one without its value, ends in one `error:` line naming it, the script's usage, and exit 2 — no stack trace.
import { expect, test } from "bun:test";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");

function runScript(script: string, args: string[]): { code: number; stderr: string } {
  const r = Bun.spawnSync([process.execPath, `scripts/${script}`, ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stderr: r.stderr.toString() };
}

// each script with one of its flags that takes a value
const SCRIPTS: [string, string][] = [
  ["ablations.ts", "--backend"], ["reproduce-x4.ts", "--only"], ["plot-runs.ts", "--out"], ["ship-weights.ts", "--as"], ["soak-check.ts", "--warmup"],
  ["teacher-encoding.ts", "--scale"],
];

for (const [script, valueFlag] of SCRIPTS) {
  test(`${script}: an unknown flag and ${valueFlag} without its value are named, with the usage, exit 2`, () => {
    const unknown = runScript(script, ["--no-such-flag"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toStartWith("error: Unknown option '--no-such-flag'\n");
    expect(unknown.stderr).toContain(`usage: bun scripts/${script}`);
    expect(unknown.stderr).not.toMatch(/TypeError|\n\s+at /);

    const missing = runScript(script, [valueFlag]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toStartWith(`error: Option '${valueFlag} <value>' argument missing\n`);
    expect(missing.stderr).toContain(`usage: bun scripts/${script}`);
  });
}

test("plot-runs.ts: --bicubic must be a number", () => {
  const r = runScript("plot-runs.ts", ["--bicubic", "28,4"]);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe('error: --bicubic expects a number, got "28,4"\n');
});
