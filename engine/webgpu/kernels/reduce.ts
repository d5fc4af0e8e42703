import sumWgsl from "../../../shaders/sum.wgsl" with { type: "text" };
import { sizeOf, type Shape4 } from "../../shape.ts";
import { type GpuRuntime, Params } from "../runtime.ts";

/** Reduced elements below which one workgroup per output suffices. */
const CHUNK = 16384;

export function sum(rt: GpuRuntime, x: GPUBuffer, shape: Shape4, axes: readonly boolean[], scale: number): GPUBuffer {
  const outputs = sizeOf(shape.map((d, i) => (axes[i] ? 1 : d)));
  const count = sizeOf(shape.filter((_, i) => axes[i]));
  const mask = axes.reduce((m, on, i) => (on ? m | (1 << i) : m), 0);
  // Few outputs over many elements (a loss, a bias gradient) would keep one core busy per output:
  // split each into chunks, then sum the chunk partials in a second pass.
  const chunks = outputs < 64 ? Math.min(256, Math.max(1, Math.floor(count / CHUNK))) : 1;
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
