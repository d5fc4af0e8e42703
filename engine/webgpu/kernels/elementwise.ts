import binaryWgsl from "../../../shaders/binary.wgsl" with { type: "text" };
import fillWgsl from "../../../shaders/fill.wgsl" with { type: "text" };
import unaryBackwardWgsl from "../../../shaders/unary_backward.wgsl" with { type: "text" };
import unaryWgsl from "../../../shaders/unary.wgsl" with { type: "text" };
import type { BinaryOp, UnaryArgs, UnaryOp } from "../../backend.ts";
import { broadcastStrides, sizeOf, type Shape4 } from "../../shape.ts";
import { type GpuRuntime, Params } from "../runtime.ts";

/** Op codes as numbered in unary.wgsl's switch. */
const UNARY_OPS: UnaryOp[] = ["neg", "abs", "exp", "log", "sqrt", "square", "softplus", "clamp", "sign"];
const BINARY_OPS: BinaryOp[] = ["add", "sub", "mul", "div"];

export function fill(rt: GpuRuntime, length: number, value: number): GPUBuffer {
  const y = rt.acquire(length);
  rt.dispatch({ key: "fill", code: fillWgsl, params: new Params().u32(length).f32(value), buffers: [y], workgroups: rt.elementwiseGrid(length) });
  return y;
}

function unaryParams(op: UnaryOp, n: number, args: UnaryArgs): Params {
  return new Params().u32(n, UNARY_OPS.indexOf(op)).f32(args.min ?? -3.4e38, args.max ?? 3.4e38);
}

export function unary(rt: GpuRuntime, op: UnaryOp, x: GPUBuffer, n: number, args: UnaryArgs): GPUBuffer {
  const y = rt.acquire(n);
  rt.dispatch({ key: "unary", code: unaryWgsl, params: unaryParams(op, n, args), buffers: [x, y], workgroups: rt.elementwiseGrid(n) });
  return y;
}

export function unaryBackward(rt: GpuRuntime, op: UnaryOp, x: GPUBuffer, dy: GPUBuffer, n: number, args: UnaryArgs): GPUBuffer {
  const dx = rt.acquire(n);
  rt.dispatch({
    key: "unary_backward", code: unaryBackwardWgsl, params: unaryParams(op, n, args), buffers: [x, dy, dx],
    workgroups: rt.elementwiseGrid(n),
  });
  return dx;
}

export function binary(rt: GpuRuntime, op: BinaryOp, a: GPUBuffer, aShape: Shape4, b: GPUBuffer, bShape: Shape4, out: Shape4): GPUBuffer {
  const n = sizeOf(out);
  const y = rt.acquire(n);
  // full (same shape as the output) or scalar inputs need no index arithmetic in the kernel
  const aFull = sizeOf(aShape) === n, bFull = sizeOf(bShape) === n;
  const simple = (aFull || sizeOf(aShape) === 1) && (bFull || sizeOf(bShape) === 1);
  const params = new Params()
    .u32(n, BINARY_OPS.indexOf(op), out[1], out[2], out[3])
    .u32(...broadcastStrides(aShape, out))
    .u32(...broadcastStrides(bShape, out))
    .u32(simple ? 1 : 0, aFull ? 1 : 0, bFull ? 1 : 0);
  rt.dispatch({ key: "binary", code: binaryWgsl, params, buffers: [a, b, y], workgroups: rt.elementwiseGrid(n) });
  return y;
}
