// Losses with mean reduction, as torch.nn.L1Loss() and nn.MSELoss().

import { sameShape } from "../shape.ts";
import type { Tensor } from "../tensor.ts";
import { abs, square } from "./unary.ts";
import { sub } from "./elementwise.ts";
import { mean } from "./reduce.ts";

function checkPair(op: string, pred: Tensor, target: Tensor): void {
  if (!sameShape(pred.shape, target.shape)) throw new Error(`${op}: prediction [${pred.shape}] and target [${target.shape}] differ in shape`);
}

export function l1Loss(pred: Tensor, target: Tensor): Tensor {
  checkPair("l1Loss", pred, target);
  return mean(abs(sub(pred, target)));
}

export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  checkPair("mseLoss", pred, target);
  return mean(square(sub(pred, target)));
}
