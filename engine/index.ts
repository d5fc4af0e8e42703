// The public surface of the engine, shaped after PyTorch: tensors, functional ops, autograd, modules,
// optimizers, and the choice of backend.

export type { Backend, FloatArray, MemoryStats, NllKind, PreluEpilogue } from "./backend.ts";
export { getDefaultBackend, setDefaultBackend } from "./context.ts";
export { CpuBackend } from "./cpu/backend.ts";
export { type BackendChoice, createBackend, init, type InitOptions } from "./init.ts";
export * as nn from "./nn.ts";
export { concat, narrow } from "./ops/channels.ts";
export { conv2d, conv2dPrelu, convTranspose2d, type ConvOptions, type ConvTransposeOptions } from "./ops/conv.ts";
export { add, div, mul, type Operand, sub } from "./ops/elementwise.ts";
export { l1Loss, mseLoss } from "./ops/loss.ts";
export { nllLoss, type NllOptions } from "./ops/nll.ts";
export { pixelShuffle } from "./ops/pixel-shuffle.ts";
export { prelu } from "./ops/prelu.ts";
export { mean, type ReduceOptions, sum } from "./ops/reduce.ts";
export { resizeBicubic, type ResizeBicubicOptions } from "./ops/resize.ts";
export { abs, clamp, exp, leakyRelu, log, neg, relu, sign, softplus, sqrt, square } from "./ops/unary.ts";
export { Adam, CosineAnnealing, cosineAnnealingLr, Optimizer, SGD } from "./optim.ts";
export { defaultRng, manualSeed, Rng } from "./random.ts";
export { sizeOf, type Shape } from "./shape.ts";
export { noGrad, Tensor, type TensorOptions, tidy } from "./tensor.ts";
export { type KaimingOptions, kaimingNormal, type WeightInit } from "./weight-init.ts";

import type { Shape } from "./shape.ts";
import { Tensor, type TensorOptions } from "./tensor.ts";

/** A tensor from values and a shape, e.g. tensor(new Float32Array(16), [1, 1, 4, 4]). */
export const tensor = (data: ArrayLike<number>, shape: Shape, opts?: TensorOptions): Tensor => Tensor.fromArray(data, shape, opts);
export const zeros = (shape: Shape, opts?: TensorOptions): Tensor => Tensor.full(shape, 0, opts);
export const ones = (shape: Shape, opts?: TensorOptions): Tensor => Tensor.full(shape, 1, opts);
export const full = (shape: Shape, value: number, opts?: TensorOptions): Tensor => Tensor.full(shape, value, opts);
