// Shared helpers for the engine tests: a seeded PRNG, error norms, and the once-per-file WebGPU backend
// (which must exist in CI and may be skipped, loudly, on a machine without an adapter).

import { afterAll, beforeAll } from "bun:test";
import type { FloatArray } from "../../engine/backend.ts";
import { WebGpuBackend } from "../../engine/webgpu/backend.ts";
import { haveWebGpu, IN_CI } from "../webgpu.ts";

export { IN_CI };

/** mulberry32: a tiny, fast 32-bit PRNG; the same seed gives the same stream on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded random numbers and arrays (float32, so both backends start from identical inputs). */
export class Rng {
  private next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** uniform in [0, 1) */
  random(): number {
    return this.next();
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** integer in [lo, hi], both ends included */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  /** standard normal (Box–Muller) */
  normal(): number {
    const u = 1 - this.next(), v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  normals(n: number, std = 1): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = std * this.normal();
    return a;
  }
  uniforms(n: number, lo: number, hi: number): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.uniform(lo, hi);
    return a;
  }
  /** integers in [lo, hi] stored as floats */
  ints(n: number, lo: number, hi: number): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.int(lo, hi);
    return a;
  }
}

/** ‖a − b‖ / ‖b‖ (b the reference); the absolute ‖a − b‖ when b is all zeros. NaN when lengths differ or a NaN/∞ disagrees. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return NaN;
  let diff = 0, ref = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (!Number.isFinite(y) || !Number.isFinite(x)) {
      if (Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))) continue;
      return NaN;
    }
    diff += (x - y) * (x - y);
    ref += y * y;
  }
  return ref > 0 ? Math.sqrt(diff / ref) : Math.sqrt(diff);
}

/** Largest |a[i] − b[i]|; NaN when lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return NaN;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > m || Number.isNaN(d)) m = d;
  }
  return m;
}

/** Index and values of the first element where a and b differ by more than `tol` relative to |b|, for messages. */
export function firstMismatch(a: FloatArray, b: FloatArray, tol = 0): string {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (!(Math.abs(a[i] - b[i]) <= tol * Math.abs(b[i])) && !Object.is(a[i], b[i])) return `first mismatch at [${i}]: ${a[i]} vs ${b[i]}`;
  }
  return a.length === b.length ? "no elementwise mismatch" : `lengths ${a.length} vs ${b.length}`;
}

export interface GpuForFile {
  /** true only off CI, when this machine has no usable adapter: the file's GPU tests are skipped */
  skip: boolean;
  /** the file's backend; throws (failing the test) when it could not be created */
  gpu: () => WebGpuBackend;
}

/**
 * One WebGPU backend per test file: created in beforeAll, destroyed in afterAll. Call at the top level of a
 * test file (with await). In CI (CI=true) a missing adapter fails every test that asks for the backend;
 * elsewhere it is probed first so the tests can be skipped with the reason printed.
 */
export async function webGpuForFile(what: string): Promise<GpuForFile> {
  const skip = !(await haveWebGpu(what));
  let backend: WebGpuBackend | undefined;
  let failure: Error | undefined;
  beforeAll(async () => {
    if (skip) return;
    try {
      backend = await WebGpuBackend.create();
    } catch (e) {
      failure = e as Error;
    }
  });
  afterAll(() => {
    backend?.destroy();
    backend = undefined;
  });
  return {
    skip,
    gpu: () => {
      if (backend) return backend;
      throw new Error(`${what} needs a WebGPU adapter${IN_CI ? " (required in CI)" : ""}: ${failure?.message ?? "backend was not created"}`);
    },
  };
}
