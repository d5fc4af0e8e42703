// add, sub, mul, div with numpy broadcasting (right-aligned; use [1,C,1,1] for per-channel).

import type { BinaryOp } from "../backend.ts";
import { broadcastShapes, to4d } from "../shape.ts";
import { Tensor } from "../tensor.ts";
import { backendOf, broadcastAxes, gradTensor } from "./common.ts";

export type Operand = Tensor | number;

function asTensor(v: Operand, like: Tensor): Tensor {
  return v instanceof Tensor ? v : Tensor.full([1], v, { backend: like.backend });
}

function binaryOp(op: BinaryOp, aIn: Operand, bIn: Operand): Tensor {
  if (!(aIn instanceof Tensor) && !(bIn instanceof Tensor)) throw new Error(`${op}: at least one operand must be a tensor`);
  const like = (aIn instanceof Tensor ? aIn : bIn) as Tensor;
  const a = asTensor(aIn, like), b = asTensor(bIn, like);
  const be = backendOf(op, a, b);
  const out = broadcastShapes(a.shape, b.shape);
  const a4 = to4d(a.shape), b4 = to4d(b.shape), o4 = to4d(out);
  const y = be.binary(op, a.storage, a4, b.storage, b4, o4);
  return Tensor.fromOp(op, be, y, out, [a, b], (g) => {
    switch (op) {
      case "add":
        return [a.requiresGrad ? sumTo(g, a.shape) : null, b.requiresGrad ? sumTo(g, b.shape) : null];
      case "sub":
        return [a.requiresGrad ? sumTo(g, a.shape) : null, b.requiresGrad ? gradTensor(be, be.unary("neg", g.storage), out, b.shape) : null];
      case "mul":
        return [
          a.requiresGrad ? gradTensor(be, be.binary("mul", g.storage, o4, b.storage, b4, o4), out, a.shape) : null,
          b.requiresGrad ? gradTensor(be, be.binary("mul", g.storage, o4, a.storage, a4, o4), out, b.shape) : null,
        ];
      case "div": {
        let gb = null;
        if (b.requiresGrad) {
          // ∂(a/b)/∂b = −a/b²
          const ga = be.binary("mul", g.storage, o4, a.storage, a4, o4);
          const bb = be.binary("mul", b.storage, b4, b.storage, b4, b4);
          const q = be.binary("div", ga, o4, bb, b4, o4);
          gb = gradTensor(be, be.unary("neg", q), out, b.shape);
          for (const s of [ga, bb, q]) be.release(s);
        }
        return [a.requiresGrad ? gradTensor(be, be.binary("div", g.storage, o4, b.storage, b4, o4), out, a.shape) : null, gb];
      }
    }
  });
}

/** The gradient itself when no broadcasting happened, else its sum over the broadcast axes. */
function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.size === shape.reduce((n, d) => n * d, 1)) return g.reshape(shape);
  const be = g.backend;
  return Tensor.fromStorage(be, be.sum(g.storage, to4d(g.shape), broadcastAxes(g.shape, shape), 1), shape);
}

export const add = (a: Operand, b: Operand): Tensor => binaryOp("add", a, b);
export const sub = (a: Operand, b: Operand): Tensor => binaryOp("sub", a, b);
export const mul = (a: Operand, b: Operand): Tensor => binaryOp("mul", a, b);
export const div = (a: Operand, b: Operand): Tensor => binaryOp("div", a, b);
