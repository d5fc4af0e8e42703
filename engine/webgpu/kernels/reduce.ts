import sumWgsl from "../../../shaders/sum.wgsl" with { type: "text" };
import sumOuterInnerWgsl from "../../../shaders/sum_outer_inner.wgsl" with { type: "text" };
import { sizeOf, type Shape4 } from "../../shape.ts";
import { type GpuRuntime, Params } from "../runtime.ts";

/** Reduced elements below which one workgroup per output suffices. */
const CHUNK = 16384;

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
  // Few outputs over many elements (a loss, a bias gradient) would keep one core busy per output:
  // split each into chunks, then sum the chunk partials in a second pass.
  const chunks = chunksFor(outputs, count);
  const chunkLen = Math.ceil(count / chunks);
  const partials = rt.acquire(outputs * chunks);
  rt.dispatch({
    key: "sum", code: sumWgsl, params: new Params().u32(outputs, count, mask).f32(chunks === 1 ? scale : 1).u32(...shape, chunks, chunkLen),
    buffers: [x, partials], workgroups: rt.grid(outputs * chunks),
  });
  if (chunks === 1) return partials;
  const y = sum(rt, partials, [1, 1, outputs, chunks], [false, false, false, true], scale);
  rt.giveBack(partials);
  return y;
}

/** Chunks per output: few outputs over many elements would keep one core busy per output. */
function chunksFor(outputs: number, count: number): number {
  return outputs < 64 ? Math.min(256, Math.max(1, Math.floor(count / CHUNK))) : 1;
}

function sumOuterInner(rt: GpuRuntime, x: GPUBuffer, { R1, K, R2 }: { R1: number; K: number; R2: number }, scale: number): GPUBuffer {
  const chunks = chunksFor(K, R1 * R2);
  const chunkLen = Math.ceil((R1 * R2) / chunks);
  const partials = rt.acquire(K * chunks);
  rt.dispatch({
    key: "sum_outer_inner", code: sumOuterInnerWgsl, params: new Params().u32(K, R1, R2).f32(chunks === 1 ? scale : 1).u32(chunks, chunkLen),
    buffers: [x, partials], workgroups: rt.grid(K * chunks),
  });
  if (chunks === 1) return partials;
  // the partials are [K, chunks]: sum the last axis
  const y = sumOuterInner(rt, partials, { R1: 1, K, R2: chunks }, scale);
  rt.giveBack(partials);
  return y;
}
