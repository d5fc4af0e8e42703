import preluBackwardWgsl from "../../../shaders/prelu_backward.wgsl" with { type: "text" };
import preluWgsl from "../../../shaders/prelu.wgsl" with { type: "text" };
import { sizeOf, type Shape4 } from "../../shape.ts";
import { type GpuRuntime, Params } from "../runtime.ts";
import { sum } from "./reduce.ts";

function preluParams(shape: Shape4, perChannel: boolean): Params {
  return new Params().u32(sizeOf(shape), shape[1], shape[2] * shape[3], perChannel ? 1 : 0);
}

export function prelu(rt: GpuRuntime, x: GPUBuffer, shape: Shape4, slope: GPUBuffer, perChannel: boolean): GPUBuffer {
  const n = sizeOf(shape);
  const y = rt.acquire(n);
  rt.dispatch({ key: "prelu", code: preluWgsl, params: preluParams(shape, perChannel), buffers: [x, slope, y], workgroups: rt.elementwiseGrid(n) });
  return y;
}

export function preluBackward(
  rt: GpuRuntime, x: GPUBuffer, shape: Shape4, slope: GPUBuffer, perChannel: boolean, dy: GPUBuffer,
): { dx: GPUBuffer; dslope: GPUBuffer } {
  const n = sizeOf(shape);
  const dx = rt.acquire(n), terms = rt.acquire(n);
  rt.dispatch({
    key: "prelu_backward", code: preluBackwardWgsl, params: preluParams(shape, perChannel), buffers: [x, slope, dy, dx, terms],
    workgroups: rt.elementwiseGrid(n),
  });
  const dslope = sum(rt, terms, shape, perChannel ? [true, false, true, true] : [true, true, true, true], 1);
  rt.giveBack(terms);
  return { dx, dslope };
}
