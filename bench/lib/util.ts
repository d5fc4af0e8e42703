// Small helpers for the kernel benchmark: statistics, a seeded generator, machine facts, a GPU fence.

import { cpus, loadavg } from "node:os";
import type { Storage } from "../../engine/backend.ts";
import type { GpuStorage, WebGpuBackend } from "../../engine/webgpu/backend.ts";

/** The value after flag `name` on the command line, or `fallback` where the flag or its value is missing. */
export function flagValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** mulberry32: a tiny seeded generator, so both backends see the same inputs on every run. */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

export interface MachineInfo {
  date: string;
  cpuModel: string;
  cores: number;
  loadavg: number[];
  bun: string;
  platform: string;
  gitCommit: string;
}

export function machineInfo(): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? "unknown";
  try {
    const text = require("node:fs").readFileSync("/proc/cpuinfo", "utf8") as string;
    cpuModel = text.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? cpuModel;
    // the VMs' "AMD EPYC" names Zen 4 and Zen 5 alike, whose speeds differ (bench/RESULTS.md): add family and model
    const family = text.match(/^cpu family\s*:\s*(\d+)$/m)?.[1], model = text.match(/^model\s*:\s*(\d+)$/m)?.[1];
    if (family && model) cpuModel += ` (family ${family} model ${model})`;
  } catch {
    // not Linux: keep os.cpus()'s model
  }
  let gitCommit = "unknown";
  try {
    const r = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { stdout: "pipe", stderr: "ignore" });
    if (r.exitCode === 0) gitCommit = r.stdout.toString().trim();
  } catch {
    // no git
  }
  return {
    date: new Date().toISOString(),
    cpuModel,
    cores: navigator.hardwareConcurrency ?? cpus().length,
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    bun: Bun.version,
    platform: `${process.platform}-${process.arch}`,
    gitCommit,
  };
}

/**
 * Submits everything queued and waits until the device has finished it, by copying the first 16 bytes of
 * `result` (the last thing the timed work wrote) to a mappable buffer and mapping it. The queue is in order,
 * so the map resolves only after every earlier dispatch has run. Reading 16 bytes instead of the whole
 * result keeps the copy itself out of the timing.
 */
export async function gpuFence(be: WebGpuBackend, result: Storage): Promise<void> {
  be.flush();
  const device = be.rt.device;
  const staging = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer((result as GpuStorage).buffer, 0, staging, 0, 16);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  staging.unmap();
  staging.destroy();
}

export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return "—";
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(digits);
}
