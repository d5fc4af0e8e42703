// One step of a bench worker through the --serve protocol (bench/lib/paired.ts), as bench/run.ts pairs them:
// the step's time comes back, then the result line, which must say it was paired and timed that one step.

import { expect } from "bun:test";
import { StepServer, type Worker } from "../../bench/lib/paired.ts";

export async function oneServedStep(worker: Worker): Promise<Record<string, unknown>> {
  const server = await StepServer.start(worker, ["--warmup", "1"]);
  try {
    const ms = await server.step();
    expect(ms).toBeGreaterThan(0);
    const result = await server.end();
    expect(result).toMatchObject({ runs: 1, paired: true });
    expect(result.times_ms).toEqual([ms]);
    return result;
  } catch (e) {
    server.kill();
    throw e;
  }
}
