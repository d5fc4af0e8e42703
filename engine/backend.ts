// The contract between the autograd layer and a compute backend: allocate, upload, read back, and a fixed
// set of kernels. Two implementations exist: engine/cpu (the hand-written reference, float32 or float64)
// and engine/webgpu (WGSL kernels in shaders/). Every kernel returns fresh storage and never aliases inputs,
// except the optimizer updates, which by design write their state in place.

import type { Shape4 } from "./shape.ts";
import type { UnaryArgs, UnaryOp } from "./unary-table.ts";

/** Opaque handle to a backend's memory; `length` counts elements. */
export interface Storage {
  readonly length: number;
}

export type FloatArray = Float32Array | Float64Array;

/** The unary ops and their scalar arguments, declared once with both backends' implementations in unary-table.ts. */
export type { UnaryArgs, UnaryOp } from "./unary-table.ts";
export const BINARY_OP_NAMES = ["add", "sub", "mul", "div"] as const;
export type BinaryOp = (typeof BINARY_OP_NAMES)[number];

/** The op, or an error naming it: a kernel's op code must never fall through to another op. */
export function checkBinaryOp(op: string): BinaryOp {
  if (!(BINARY_OP_NAMES as readonly string[]).includes(op)) throw new Error(`unknown binary op "${op}" (known: ${BINARY_OP_NAMES.join(", ")})`);
  return op as BinaryOp;
}

/** Stride and padding of a convolution, per axis [height, width], and its channel groups. */
export interface ConvGeometry {
  stride: readonly [number, number];
  padding: readonly [number, number];
  /**
   * g ≥ 1 (1 when absent), as torch's `groups`: channels split into g groups, and each output channel reads only
   * the input channels of its own group (group ⌊o / (O/g)⌋ for output channel o of O). g = C is depthwise.
   */
  groups?: number;
}

/** The channel groups of a convolution. */
export const groupsOf = (g: ConvGeometry): number => g.groups ?? 1;

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count, for bias correction */
  step: number;
}

export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** first step: the momentum buffer is initialised to the gradient, as PyTorch does */
  first: boolean;
}

export interface MemoryStats {
  /** storages handed out and not yet released */
  live: number;
  /** buffers parked in the reuse pool */
  pooled: number;
  pooledBytes: number;
  /** native objects of the WebGPU binding created and not yet released (bind groups, passes); 0 on the CPU */
  nativeHandles?: number;
}

/**
 * A sparse matrix [rows × cols] in compressed-row form: row r is Σ weights[e] · x[indices[e]] for
 * e = offsets[r] … offsets[r + 1] − 1, summed in that order. `key` names the contents uniquely, so a backend
 * may upload the matrix once and keep it (engine/bicubic.ts makes them).
 */
export interface SparseRows {
  readonly key: string;
  readonly rows: number;
  readonly cols: number;
  readonly offsets: Int32Array;
  readonly indices: Int32Array;
  readonly weights: Float64Array;
}

/** The two distributions of the VID loss's negative log-likelihood (see `nll` below). */
export type NllKind = "laplace" | "gaussian";

/** A PReLU applied to a convolution's output in the same kernel (when no pre-activation is needed for a backward). */
export interface PreluEpilogue {
  slope: Storage;
  /** one slope per output channel, or one shared */
  perChannel: boolean;
}

export interface Backend {
  readonly name: "cpu" | "webgpu";
  /** human-readable device, e.g. the adapter description */
  readonly description: string;
  readonly dtype: "float32" | "float64";
  /** largest number of elements one tensor may hold on this device */
  readonly maxElements: number;

  upload(data: ArrayLike<number>): Storage;
  /** Overwrites existing storage, in order with the work already queued. */
  write(s: Storage, data: ArrayLike<number>): void;
  /** Resolves after all queued work that writes `s` has finished. */
  read(s: Storage): Promise<FloatArray>;
  release(s: Storage): void;
  /** Submits queued work; the CPU backend has none. */
  flush(): void;
  memory(): MemoryStats;
  /** Frees pooled buffers and device objects; the backend is unusable afterwards. */
  destroy(): void;

  fill(length: number, value: number): Storage;
  /**
   * f(x), elementwise, for an op of unary-table.ts with the arguments it declares; any other name, or an argument
   * the op does not take, throws, naming it, before any work is queued
   */
  unary(op: UnaryOp, x: Storage, args?: UnaryArgs): Storage;
  /** dy · f'(x), elementwise */
  unaryBackward(op: UnaryOp, x: Storage, dy: Storage, args?: UnaryArgs): Storage;
  /** a ∘ b with numpy broadcasting over 4-D shapes */
  binary(op: BinaryOp, a: Storage, aShape: Shape4, b: Storage, bShape: Shape4, outShape: Shape4): Storage;
  /** Sums over the axes where `axes[i]` is true (those become 1 in the output), times `scale`. */
  sum(x: Storage, shape: Shape4, axes: readonly boolean[], scale: number): Storage;

  /**
   * Per element, the negative log-likelihood of `target` under a distribution with mean `mu` and spread
   * s = a·scale + eps, without its constant: laplace ln(2s) + |mu − t| / s; gaussian (s a variance)
   * ½·ln s + (mu − t)² / (2s). One pass instead of the eight elementwise ops it replaces.
   */
  nll(kind: NllKind, mu: Storage, scale: Storage, target: Storage, a: number, eps: number): Storage;
  /** Gradients of k·Σ nll with respect to mu and scale, where k = g[0] · factor (g holds one element). */
  nllBackward(
    kind: NllKind, mu: Storage, scale: Storage, target: Storage, a: number, eps: number, g: Storage, factor: number,
  ): { dmu: Storage; dscale: Storage };

  /** x [N,C,H,W] ⋆ w [O,C/g,kh,kw] (+ bias [O]) → [N,O,Ho,Wo], then `prelu` on the output if given */
  conv2d(x: Storage, xShape: Shape4, w: Storage, wShape: Shape4, bias: Storage | null, g: ConvGeometry, prelu?: PreluEpilogue | null): Storage;
  /** conv2d then `prelu`, for a training step: the pre-activation (the PReLU's backward reads it) and the output */
  conv2dPreluKeep(
    x: Storage, xShape: Shape4, w: Storage, wShape: Shape4, bias: Storage | null, g: ConvGeometry, prelu: PreluEpilogue,
  ): { pre: Storage; y: Storage };
  /** x [N,C,H,W], w [C,O/g,kh,kw] (PyTorch's layout) (+ bias [O]) → [N,O,outHW] */
  convTranspose2d(
    x: Storage, xShape: Shape4, w: Storage, wShape: Shape4, bias: Storage | null, g: ConvGeometry, outHW: readonly [number, number],
  ): Storage;
  /** ∂L/∂w of conv2d given its input x [N,C,H,W] and output gradient dy [N,O,Ho,Wo] → [O,C/g,kh,kw] */
  conv2dWeightGrad(x: Storage, xShape: Shape4, dy: Storage, dyShape: Shape4, kernel: readonly [number, number], g: ConvGeometry): Storage;

  /** PReLU with slope [1] (shared) or [C] (per channel) */
  prelu(x: Storage, xShape: Shape4, slope: Storage, perChannel: boolean): Storage;
  /**
   * PReLU's backward; with `biasGrad`, also Σ dx over N, H, W per channel: the bias gradient of the conv whose
   * output x is (null without)
   */
  preluBackward(
    x: Storage, xShape: Shape4, slope: Storage, perChannel: boolean, dy: Storage, biasGrad?: boolean,
  ): { dx: Storage; dslope: Storage; dbias: Storage | null };

  /** x [N, C·r², H, W] → [N, C, H·r, W·r] in PyTorch's order: out[n, c, h·r + i, w·r + j] = x[n, c·r² + i·r + j, h, w] */
  pixelShuffle(x: Storage, xShape: Shape4, r: number): Storage;
  /** The inverse rearrangement (PyTorch's pixel_unshuffle), x [N, C, H·r, W·r] → [N, C·r², H, W]: pixelShuffle's gradient */
  pixelUnshuffle(x: Storage, xShape: Shape4, r: number): Storage;

  /**
   * A separable linear resampling of x [N, C, H, W] → [N, C, height.rows, width.rows]: each plane P becomes
   * height · P · widthᵀ, applied along the height first or the width first (which changes only the rounding).
   * Bicubic resizing, and with the transposed matrices in the other order, its gradient.
   */
  resample2d(x: Storage, xShape: Shape4, height: SparseRows, width: SparseRows, heightFirst: boolean): Storage;

  /** xs[k] [N, C_k, H, W], alike but for C_k, joined along channels → [N, ΣC_k, H, W] */
  concatChannels(xs: readonly Storage[], shapes: readonly Shape4[]): Storage;
  /** channels start … start + length − 1 of x [N, C, H, W] → [N, length, H, W] */
  sliceChannels(x: Storage, shape: Shape4, start: number, length: number): Storage;

  /** In-place Adam (PyTorch semantics) on param, first and second moments. */
  adam(param: Storage, grad: Storage, m: Storage, v: Storage, h: AdamHyper): void;
  /** In-place SGD with momentum (PyTorch semantics). */
  sgd(param: Storage, grad: Storage, momentumBuffer: Storage, h: SgdHyper): void;
}
