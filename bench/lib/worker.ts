// What the engine's bench workers share (bench/engine_bench.ts, bench/lib/students-worker.ts): the backend they
// run on (--backend webgpu|cpu), the JSON lines they print, and the loop that times their workloads.

import type { Backend } from "../../engine/index.ts";
import type { WorkerArgs } from "../workloads.ts";
import { median } from "./util.ts";

export interface WorkerBackend {
  be: Backend;
  description: string;
  destroy(): void;
}

export async function openWorkerBackend(name: string): Promise<WorkerBackend> {
  if (name === "webgpu") {
    const { WebGpuBackend } = await import("../../engine/webgpu/backend.ts");
    const gpu = await WebGpuBackend.create();
    return { be: gpu, description: gpu.description, destroy: () => gpu.destroy() };
  }
  if (name === "cpu") {
    const { CpuBackend } = await import("../../engine/cpu/backend.ts");
    return { be: new CpuBackend("float32"), description: "CpuBackend float32 (single-threaded reference)", destroy: () => {} };
  }
  throw new Error(`--backend: unknown "${name}" (webgpu, cpu)`);
}

/** Prints one JSON line; the first says which implementation and adapter the lines after it come from. */
export const emit = (o: Record<string, unknown>) => console.log(JSON.stringify(o));

export function emitMeta(backend: string, description: string): void {
  emit({ meta: true, impl: "engine", backend, adapter: description, bun: Bun.version });
}

/** One prepared workload: `step()` runs one unit of work and resolves once its result has been read back. */
export interface Prepared {
  step(): Promise<void>;
  dispose(): void;
  /** what the result line says besides the times */
  about?: Record<string, unknown>;
  /** the table's note beside the run count (tiles, micro-batches), if any */
  note?: string;
  /** iterations one step() runs (a loop workload's window); times are reported per iteration */
  iterations?: number;
}

/** One step of `p`, in ms per iteration, its result read back. */
async function timed(p: Prepared): Promise<number> {
  const t = performance.now();
  await p.step();
  return (performance.now() - t) / (p.iterations ?? 1);
}

/**
 * Runs the workloads a worker was asked for and prints one result line each (median, min and max of the timed
 * steps, and what `about` says): with --serve one workload step by step on request (the protocol is in
 * bench/workloads.ts, parseWorkerArgs), else each for --runs steps after --warmup.
 */
export async function runWorkloads(args: WorkerArgs, backend: string, prepare: (name: string) => Prepared | Promise<Prepared>): Promise<void> {
  const result = (name: string, times: number[], extra: Record<string, unknown>) =>
    emit({ name, impl: "engine", backend, median_ms: median(times), min_ms: Math.min(...times), max_ms: Math.max(...times), runs: times.length, ...extra, times_ms: times });
  const noteOf = (...notes: (string | null | undefined)[]) => {
    const note = notes.filter(Boolean).join(", ");
    return note ? { note } : {};
  };
  if (args.serve) {
    const name = args.only[0]!;
    const p = await prepare(name);
    const firstMs = await timed(p);
    for (let i = 1; i < args.warmup; i++) await p.step();
    emit({ ready: name, first_ms: firstMs });
    const times: number[] = [];
    for await (const line of console) {
      const command = line.trim();
      if (command === "step") {
        times.push(await timed(p));
        emit({ step_ms: times.at(-1) });
      } else if (command === "end") break;
      else if (command) throw new Error(`--serve: unknown command "${command}" (step, end)`);
    }
    p.dispose();
    if (!times.length) throw new Error("--serve: ended before any step");
    result(name, times, { warmup: args.warmup, first_ms: firstMs, paired: true, ...noteOf(p.note), ...p.about });
    return;
  }
  for (const name of args.only) {
    const p = await prepare(name);
    const firstMs = await timed(p);
    // Only the CPU reference's slow steps get fewer runs (unless --runs was given); WebGPU always does --runs.
    const slow = backend === "cpu" && firstMs >= 15000;
    const runs = args.runsGiven || !slow ? args.runs : Math.min(args.runs, 3);
    const warmup = slow ? 1 : args.warmup;
    for (let i = 1; i < warmup; i++) await p.step();
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await timed(p));
    p.dispose();
    result(name, times, { warmup, first_ms: firstMs, ...noteOf(p.note, runs < args.runs ? "step > 15 s" : null), ...p.about });
  }
}
