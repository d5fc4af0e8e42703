// The unary kernels: one compiled pipeline per op and direction, generated from the op's WGSL expressions in
// engine/unary-table.ts, so no kernel switches on an op code at run time.

import unaryBackwardWgsl from "../../../shaders/unary_backward.wgsl" with { type: "text" };
import unaryWgsl from "../../../shaders/unary.wgsl" with { type: "text" };
import type { UnaryArgs } from "../../backend.ts";
import { type UnaryOp, unaryOpSpec } from "../../unary-table.ts";
import { type GpuRuntime, Params } from "../runtime.ts";

/** `fn name(x, lo, hi)` returning `expr`, after the helper functions it calls: what the shaders call as f or df. */
function scalarFunction(name: "f" | "df", expr: string, helpers = ""): string {
  return `${helpers}\nfn ${name}(x: f32, lo: f32, hi: f32) -> f32 { return ${expr}; }\n`;
}

/** Unset clamp bounds become ∓3.4e38, just inside f32's range: a uniform cannot hold ∞ portably. */
function unaryParams(n: number, args: UnaryArgs): Params {
  return new Params().u32(n).f32(args.min ?? -3.4e38, args.max ?? 3.4e38);
}

export function unary(rt: GpuRuntime, op: UnaryOp, x: GPUBuffer, n: number, args: UnaryArgs): GPUBuffer {
  const { wgsl } = unaryOpSpec(op); // before acquiring: an unknown op must throw without leaking a buffer
  const y = rt.acquire(n);
  rt.dispatch({
    key: `unary/${op}`, code: scalarFunction("f", wgsl.f, wgsl.helpers) + unaryWgsl, params: unaryParams(n, args), buffers: [x, y],
    workgroups: rt.elementwiseGrid(n),
  });
  return y;
}

export function unaryBackward(rt: GpuRuntime, op: UnaryOp, x: GPUBuffer, dy: GPUBuffer, n: number, args: UnaryArgs): GPUBuffer {
  const { wgsl } = unaryOpSpec(op);
  const dx = rt.acquire(n);
  rt.dispatch({
    key: `unary_backward/${op}`, code: scalarFunction("df", wgsl.df, wgsl.helpers) + unaryBackwardWgsl, params: unaryParams(n, args),
    buffers: [x, dy, dx], workgroups: rt.elementwiseGrid(n),
  });
  return dx;
}
