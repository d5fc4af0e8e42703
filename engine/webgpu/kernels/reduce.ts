import sumWgsl from "../../../shaders/sum.wgsl" with { type: "text" };
import sumOuterInnerWgsl from "../../../shaders/sum_outer_inner.wgsl" with { type: "text" };
import { sizeOf, type Shape4 } from "../../shape.ts";
import { type GpuRuntime, Params } from "../runtime.ts";
import { elementType } from "./element-type.ts";
import { partialsPrelude } from "./partials.ts";

/** Reduced elements below which one workgroup per output suffices. */
export const CHUNK = 16384;

/**
 * The reduction as [R1, K, R2] summed over R1 and R2, when it is one: reduced axes, then kept ones, then
 * reduced ones (axes of size 1 go either way). Null for anything else (a kept axis between reduced ones).
 */
function outerInner(shape: Shape4, axes: readonly boolean[]): { R1: number; K: number; R2: number } | null {
  const dims = [1, 1, 1]; // R1, K, R2
  let part = 0;
  for (let i = 0; i < 4; i++) {
    if (shape[i] === 1) continue;
    const want = axes[i] ? (part === 0 ? 0 : 2) : 1;
    if (want < part) return null;
    part = want;
    dims[part]! *= shape[i]!;
  }
  return { R1: dims[0]!, K: dims[1]!, R2: dims[2]! };
}

export function sum(rt: GpuRuntime, x: GPUBuffer, shape: Shape4, axes: readonly boolean[], scale: number): GPUBuffer {
  const view = outerInner(shape, axes);
  if (view) return sumOuterInner(rt, x, view, scale);
  const outputs = sizeOf(shape.map((d, i) => (axes[i] ? 1 : d)));
  const count = sizeOf(shape.filter((_, i) => axes[i]));
  const mask = axes.reduce((m, on, i) => (on ? m | (1 << i) : m), 0);
  return chunked(rt, outputs, count, scale, (chunks, chunkLen, first) => ({
    key: "sum", code: partialsPrelude + sumWgsl, params: new Params().u32(outputs, count, mask).f32(first).u32(...shape, chunks, chunkLen), buffers: [x],
  }));
}

/**
 * Runs a reduction of `outputs` sums over `count` elements each, as `chunks` partial sums per output when few
 * outputs would otherwise keep one core busy each (a loss, a bias gradient), then sums the partials in a second
 * pass. `pass` gives the first pass's kernel (its output buffer is appended) for a chunk count and length and the
 * scale it applies (1 when a second pass follows).
 */
function chunked(
  rt: GpuRuntime, outputs: number, count: number, scale: number,
  pass: (chunks: number, chunkLen: number, scale: number) => { key: string; code: string; params: Params; buffers: GPUBuffer[] },
): GPUBuffer {
  const chunks = outputs < 64 ? Math.min(256, Math.max(1, Math.floor(count / CHUNK))) : 1;
  const partials = rt.acquire(outputs * chunks);
  const d = pass(chunks, Math.ceil(count / chunks), chunks === 1 ? scale : 1);
  rt.dispatch({ ...d, buffers: [...d.buffers, partials], workgroups: rt.grid(outputs * chunks) });
  if (chunks === 1) return partials;
  // the partials are [outputs, chunks]: sum the last axis
  const y = sumOuterInner(rt, partials, { R1: 1, K: outputs, R2: chunks }, scale);
  rt.giveBack(partials);
  return y;
}

function sumOuterInner(rt: GpuRuntime, x: GPUBuffer, { R1, K, R2 }: { R1: number; K: number; R2: number }, scale: number): GPUBuffer {
  // runs of R2 in whole vec4s: counted in vec4s
  const type = elementType(R2 % 4 === 0);
  const r2 = R2 / type.width;
  return chunked(rt, K, R1 * r2, scale, (chunks, chunkLen, first) => ({
    key: `sum_outer_inner${type.key}`, code: type.code + partialsPrelude + sumOuterInnerWgsl, params: new Params().u32(K, R1, r2).f32(first).u32(chunks, chunkLen), buffers: [x],
  }));
}
