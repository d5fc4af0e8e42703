// bench/run.ts's choice of PyTorch peer: CPU by default, CUDA on request (a real GPU's run, bench/device/).
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const RUN = join(import.meta.dir, "../../bench/run.ts");

function runBench(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = Bun.spawnSync([process.execPath, RUN, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("bench/run.ts --torch-device", () => {
  test("cuda with a Python that is not there: the CUDA peer is reported unavailable, by name and path, and the run still ends well", () => {
    const dir = mkdtempSync(join(tmpdir(), "run-options-"));
    try {
      const out = join(dir, "run.json");
      const missing = join(dir, "no-such-python3");
      const r = runBench(["--only", "B3", "--impls", "pytorch", "--torch-device", "cuda", "--python", missing, "--out", out]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("| B3 | PyTorch (CUDA) | — | — | — | unavailable |");
      expect(r.stdout).toContain(`**PyTorch (CUDA) unavailable:** ${missing} not found`);
      expect(r.stdout).toContain("engine ÷ PyTorch CUDA");
      const json = JSON.parse(readFileSync(out, "utf8"));
      expect(json.unavailable["PyTorch (CUDA)"]).toContain(missing);
      expect(json.results).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a device other than cpu or cuda is refused before anything runs", () => {
    const r = runBench(["--only", "B3", "--torch-device", "tpu"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--torch-device: "tpu" (cpu, cuda)');
  });
});
