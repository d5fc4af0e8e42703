import nllBackwardWgsl from "../../../shaders/nll_backward.wgsl" with { type: "text" };
import nllWgsl from "../../../shaders/nll.wgsl" with { type: "text" };
import type { NllKind } from "../../backend.ts";
import { type GpuRuntime, Params } from "../runtime.ts";

const kindConst = (kind: NllKind) => `const LAPLACE: bool = ${kind === "laplace"};\n`;

export function nll(rt: GpuRuntime, kind: NllKind, mu: GPUBuffer, scale: GPUBuffer, target: GPUBuffer, n: number, a: number, eps: number): GPUBuffer {
  const y = rt.acquire(n);
  rt.dispatch({
    key: `nll/${kind}`, code: kindConst(kind) + nllWgsl, params: new Params().u32(n).f32(a, eps), buffers: [mu, scale, target, y],
    workgroups: rt.elementwiseGrid(n),
  });
  return y;
}

export function nllBackward(
  rt: GpuRuntime, kind: NllKind, mu: GPUBuffer, scale: GPUBuffer, target: GPUBuffer, n: number, a: number, eps: number, g: GPUBuffer, factor: number,
): { dmu: GPUBuffer; dscale: GPUBuffer } {
  const dmu = rt.acquire(n), dscale = rt.acquire(n);
  rt.dispatch({
    key: `nll_backward/${kind}`, code: kindConst(kind) + nllBackwardWgsl, params: new Params().u32(n).f32(a, eps, factor),
    buffers: [mu, scale, target, g, dmu, dscale], workgroups: rt.elementwiseGrid(n),
  });
  return { dmu, dscale };
}
