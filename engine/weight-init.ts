// Weight initialisers, as torch.nn.init's: PyTorch's default rule for convolutions (what a layer gets unless told
// otherwise) and He (Kaiming) normal, for networks of ReLUs (VDSR, IDN, CARN). They draw from a seeded Rng, so
// layers are reproducible, but the stream is this engine's own: the same seed does not give torch's values.

import type { Rng } from "./random.ts";
import { type Shape, sizeOf } from "./shape.ts";

/** The values of a weight of `shape`, drawn from `rng`. */
export type WeightInit = (shape: Shape, rng: Rng) => Float32Array;

/**
 * fan_in and fan_out as torch computes them: dimension 1 (resp. 0) times the kernel's size. For ConvTranspose2d's
 * [in, out, kh, kw] weight, fan_in is therefore out·kh·kw.
 */
export function fans(shape: Shape): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error(`fan in and out need a weight of at least 2 dimensions, got [${shape}]`);
  const kernel = sizeOf(shape.slice(2));
  return { fanIn: shape[1]! * kernel, fanOut: shape[0]! * kernel };
}

/** n values from U(−1/√fanIn, 1/√fanIn): PyTorch's kaiming_uniform_(a=√5) for weights, and its rule for biases. */
export function uniformFanIn(rng: Rng, n: number, fanIn: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  return Float32Array.from({ length: n }, () => rng.uniform(-bound, bound));
}

/** PyTorch's default for the weights of Conv2d and ConvTranspose2d. */
export const defaultWeightInit: WeightInit = (shape, rng) => uniformFanIn(rng, sizeOf(shape), fans(shape).fanIn);

export interface KaimingOptions {
  /** slope for x < 0 of the leaky ReLU that follows the layer (torch's `a`); 0, the default, is a ReLU */
  negativeSlope?: number;
  /** "fan_in" (the default) keeps the forward pass's variance, "fan_out" the backward pass's */
  mode?: "fan_in" | "fan_out";
}

/**
 * N(0, std²) with std = gain / √fan and gain = √(2 / (1 + negativeSlope²)): torch.nn.init.kaiming_normal_ with
 * nonlinearity "leaky_relu" (its default; at slope 0, the default here too, the gain √2 of "relu").
 */
export function kaimingNormal(opts: KaimingOptions = {}): WeightInit {
  const a = opts.negativeSlope ?? 0, mode = opts.mode ?? "fan_in";
  if (!Number.isFinite(a)) throw new Error(`kaimingNormal: negativeSlope must be finite, got ${a}`);
  const gain = Math.sqrt(2 / (1 + a * a));
  return (shape, rng) => {
    const f = fans(shape);
    const std = gain / Math.sqrt(mode === "fan_in" ? f.fanIn : f.fanOut);
    return Float32Array.from({ length: sizeOf(shape) }, () => std * rng.normal());
  };
}
