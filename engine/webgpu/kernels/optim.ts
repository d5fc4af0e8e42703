import adamWgsl from "../../../shaders/adam.wgsl" with { type: "text" };
import sgdWgsl from "../../../shaders/sgd.wgsl" with { type: "text" };
import type { AdamHyper, SgdHyper } from "../../backend.ts";
import { type GpuRuntime, Params } from "../runtime.ts";

export function adam(rt: GpuRuntime, param: GPUBuffer, grad: GPUBuffer, m: GPUBuffer, v: GPUBuffer, n: number, h: AdamHyper): void {
  const bc1 = 1 - Math.pow(h.beta1, h.step), bc2 = 1 - Math.pow(h.beta2, h.step);
  const params = new Params().u32(n).f32(h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, bc1, Math.sqrt(bc2), 1 - h.beta1, 1 - h.beta2);
  rt.dispatch({ key: "adam", code: adamWgsl, params, buffers: [param, grad, m, v], workgroups: rt.elementwiseGrid(n) });
}

export function sgd(rt: GpuRuntime, param: GPUBuffer, grad: GPUBuffer, buf: GPUBuffer, n: number, h: SgdHyper): void {
  const params = new Params().u32(n).f32(h.lr, h.momentum, 1 - h.dampening, h.weightDecay).u32(h.nesterov ? 1 : 0, h.first ? 1 : 0);
  rt.dispatch({ key: "sgd", code: sgdWgsl, params, buffers: [param, grad, buf], workgroups: rt.elementwiseGrid(n) });
}
