import binaryWgsl from "../../../shaders/binary.wgsl" with { type: "text" };
import fillWgsl from "../../../shaders/fill.wgsl" with { type: "text" };
import type { BinaryOp } from "../../backend.ts";
import { broadcastStrides, sizeOf, type Shape4 } from "../../shape.ts";
import { type GpuRuntime, Params } from "../runtime.ts";

const BINARY_OPS: BinaryOp[] = ["add", "sub", "mul", "div"];

export function fill(rt: GpuRuntime, length: number, value: number): GPUBuffer {
  const y = rt.acquire(length);
  rt.dispatch({ key: "fill", code: fillWgsl, params: new Params().u32(length).f32(value), buffers: [y], workgroups: rt.elementwiseGrid(length) });
  return y;
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
