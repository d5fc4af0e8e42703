// The unary kernels: one compiled pipeline per op and direction, generated from the op's WGSL expressions in
// engine/unary-table.ts, so no kernel switches on an op code at run time. The op's arguments travel as uniforms.

import unaryBackwardWgsl from "../../../shaders/unary_backward.wgsl" with { type: "text" };
import unaryWgsl from "../../../shaders/unary.wgsl" with { type: "text" };
import { type UnaryArgs, unaryArgValues, type UnaryOp, type UnaryOpSpec, unaryOpSpec } from "../../unary-table.ts";
import { type GpuRuntime, Params } from "../runtime.ts";

/**
 * `fn name(x, a0, a1)` returning the op's expression, with its arguments bound to their WGSL names, after the
 * helper functions it calls: what the shaders call as f or df.
 */
function scalarFunction(name: "f" | "df", spec: UnaryOpSpec): string {
  const expr = spec.wgsl[name];
  const bindings = (spec.args ?? []).map((a, i) => `let ${a.wgsl} = a${i}; `).join("");
  return `${spec.wgsl.helpers ?? ""}\nfn ${name}(x: f32, a0: f32, a1: f32) -> f32 { ${bindings}return ${expr}; }\n`;
}

/** Infinite arguments (clamp's unset bounds) become ±3.4e38, just inside f32's range: a uniform cannot hold ∞ portably. */
function unaryParams(op: UnaryOp, spec: UnaryOpSpec, n: number, args: UnaryArgs): Params {
  const values = unaryArgValues(op, spec, args).map((v) => Math.min(Math.max(v, -3.4e38), 3.4e38));
  return new Params().u32(n).f32(...values);
}

export function unary(rt: GpuRuntime, op: UnaryOp, x: GPUBuffer, n: number, args: UnaryArgs): GPUBuffer {
  // before acquiring: an unknown op or argument must throw without leaking a buffer
  const spec = unaryOpSpec(op);
  const params = unaryParams(op, spec, n, args);
  const y = rt.acquire(n);
  rt.dispatch({ key: `unary/${op}`, code: scalarFunction("f", spec) + unaryWgsl, params, buffers: [x, y], workgroups: rt.elementwiseGrid(n) });
  return y;
}

export function unaryBackward(rt: GpuRuntime, op: UnaryOp, x: GPUBuffer, dy: GPUBuffer, n: number, args: UnaryArgs): GPUBuffer {
  const spec = unaryOpSpec(op);
  const params = unaryParams(op, spec, n, args);
  const dx = rt.acquire(n);
  rt.dispatch({
    key: `unary_backward/${op}`, code: scalarFunction("df", spec) + unaryBackwardWgsl, params, buffers: [x, dy, dx], workgroups: rt.elementwiseGrid(n),
  });
  return dx;
}
