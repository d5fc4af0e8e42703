import sumWgsl from "../../../shaders/sum.wgsl" with { type: "text" };
import { sizeOf, type Shape4 } from "../../shape.ts";
import { type GpuRuntime, Params } from "../runtime.ts";

export function sum(rt: GpuRuntime, x: GPUBuffer, shape: Shape4, axes: readonly boolean[], scale: number): GPUBuffer {
  const outputs = sizeOf(shape.map((d, i) => (axes[i] ? 1 : d)));
  const count = sizeOf(shape.filter((_, i) => axes[i]));
  const mask = axes.reduce((m, on, i) => (on ? m | (1 << i) : m), 0);
  const y = rt.acquire(outputs);
  rt.dispatch({
    key: "sum", code: sumWgsl, params: new Params().u32(outputs, count, mask).f32(scale).u32(...shape), buffers: [x, y],
    workgroups: rt.grid(outputs),
  });
  return y;
}
