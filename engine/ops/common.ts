// Helpers the ops share: one backend per op, and summing a broadcast gradient back to an input's shape.

import type { Backend, Storage } from "../backend.ts";
import { type Shape, type Shape4, to4d } from "../shape.ts";
import { Tensor } from "../tensor.ts";

export function backendOf(op: string, ...ts: (Tensor | null | undefined)[]): Backend {
  let b: Backend | null = null;
  for (const t of ts) {
    if (!t) continue;
    if (b && t.backend !== b) throw new Error(`${op}: inputs live on different backends (${b.name} and ${t.backend.name})`);
    b = t.backend;
  }
  if (!b) throw new Error(`${op}: no tensor input`);
  return b;
}

/** The 4-D axes along which `to` was broadcast up to `from`. */
export function broadcastAxes(from: Shape, to: Shape): boolean[] {
  const f4 = to4d(from), t4 = to4d(to);
  return f4.map((d, i) => d !== t4[i]);
}

/** Sums `s` (of shape `from`) over the axes where `to` is 1 but `from` is not; takes ownership of `s`. */
export function reduceTo(backend: Backend, s: Storage, from: Shape, to: Shape): Storage {
  const axes = broadcastAxes(from, to);
  if (!axes.some(Boolean)) return s;
  const r = backend.sum(s, to4d(from), axes, 1);
  backend.release(s);
  return r;
}

/** A gradient tensor from backend storage, summed down to `shape` if it was broadcast. */
export function gradTensor(backend: Backend, s: Storage, from: Shape, shape: Shape): Tensor {
  return Tensor.fromStorage(backend, reduceTo(backend, s, from, shape), shape);
}

export function shape4(t: Tensor): Shape4 {
  return to4d(t.shape);
}

export function pair(v: number | readonly [number, number], what: string): [number, number] {
  const p: [number, number] = typeof v === "number" ? [v, v] : [v[0], v[1]];
  for (const x of p) if (!Number.isInteger(x) || x < 0) throw new Error(`${what} must be non-negative integers, got ${v}`);
  return p;
}
