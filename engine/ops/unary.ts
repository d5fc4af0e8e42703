// Elementwise maps and their derivatives, both computed by the backend's unary kernels.

import type { UnaryArgs, UnaryOp } from "../backend.ts";
import { Tensor } from "../tensor.ts";

function unaryOp(op: UnaryOp, x: Tensor, args: UnaryArgs = {}): Tensor {
  const be = x.backend;
  return Tensor.fromOp(op, be, be.unary(op, x.storage, args), x.shape, [x], (g) => [
    Tensor.fromStorage(be, be.unaryBackward(op, x.storage, g.storage, args), x.shape),
  ]);
}

export const neg = (x: Tensor): Tensor => unaryOp("neg", x);
export const abs = (x: Tensor): Tensor => unaryOp("abs", x);
export const exp = (x: Tensor): Tensor => unaryOp("exp", x);
export const log = (x: Tensor): Tensor => unaryOp("log", x);
export const sqrt = (x: Tensor): Tensor => unaryOp("sqrt", x);
export const square = (x: Tensor): Tensor => unaryOp("square", x);
/** log(1 + eˣ), computed without overflow (PyTorch's softplus with beta = 1). */
export const softplus = (x: Tensor): Tensor => unaryOp("softplus", x);
export const sign = (x: Tensor): Tensor => unaryOp("sign", x);
/** max(x, 0); its gradient at 0 is 0, as torch.relu's. */
export const relu = (x: Tensor): Tensor => unaryOp("relu", x);

/** x for x > 0, else slope·x, as torch.nn.functional.leaky_relu (slope 0.01 unless given); its gradient at 0 is the slope. */
export function leakyRelu(x: Tensor, slope?: number): Tensor {
  if (slope !== undefined && !Number.isFinite(slope)) throw new Error(`leakyRelu: slope must be finite, got ${slope}`);
  return unaryOp("leakyRelu", x, { slope });
}

export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  if (min === undefined && max === undefined) throw new Error("clamp: give min, max or both");
  if (min !== undefined && max !== undefined && min > max) throw new Error(`clamp: min ${min} > max ${max}`);
  return unaryOp("clamp", x, { min, max });
}
