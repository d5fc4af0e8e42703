// Modules: named parameters in a tree whose dotted names match PyTorch's state-dict keys, so weights move
// between this engine and torch unchanged. Initialisation follows PyTorch's defaults, from a seeded Rng, unless a
// layer is given another initialiser (engine/weight-init.ts, also nn.init).

import type { Backend } from "./backend.ts";
import { getDefaultBackend, gradEnabled } from "./context.ts";
import { checkGroups, conv2d, conv2dPrelu, convTranspose2d, type ConvOptions, type ConvTransposeOptions } from "./ops/conv.ts";
import { pixelShuffle } from "./ops/pixel-shuffle.ts";
import { prelu } from "./ops/prelu.ts";
import { leakyRelu, relu } from "./ops/unary.ts";
import { defaultRng, type Rng } from "./random.ts";
import { Tensor, tidy } from "./tensor.ts";
import { defaultWeightInit, fans, uniformFanIn, type WeightInit } from "./weight-init.ts";

/** The initialisers, as torch.nn.init: e.g. `new nn.Conv2d(64, 64, 3, { init: nn.init.kaimingNormal() })`. */
export * as init from "./weight-init.ts";

export interface ModuleOptions {
  backend?: Backend;
  rng?: Rng;
}

/** A trainable tensor that outlives every scope. */
export function parameter(data: ArrayLike<number>, shape: number[], backend?: Backend): Tensor {
  return Tensor.fromArray(data, shape, { backend, requiresGrad: true }).keep();
}

export abstract class Module {
  private children = new Map<string, Module>();
  private params = new Map<string, Tensor>();

  abstract forward(x: Tensor): Tensor;

  /** Registers a child under `name` (its parameters become `name.…`), as torch's add_module. */
  addModule<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }
  protected addParameter(name: string, t: Tensor): Tensor {
    this.params.set(name, t);
    return t;
  }

  /** [dotted name, parameter] in registration order, e.g. "mapping.0.0.weight". */
  namedParameters(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this.params) out.push([prefix + n, p]);
    for (const [n, m] of this.children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
  }

  /** Copies values into parameters by name; every name must exist with the same size. */
  async loadStateDict(state: Map<string, { shape: number[]; data: ArrayLike<number> }>, opts: { strict?: boolean } = {}): Promise<void> {
    const own = new Map(this.namedParameters());
    for (const [name, p] of own) {
      const v = state.get(name);
      if (!v) {
        if (opts.strict ?? true) throw new Error(`state dict has no entry for parameter "${name}"`);
        continue;
      }
      if (v.shape.join() !== p.shape.join()) throw new Error(`parameter "${name}": shape [${v.shape}] in state dict, [${p.shape}] in model`);
      // a diverged checkpoint would otherwise compute (and write) all-NaN images without complaint
      const bad = firstNonFinite(v.data);
      if (bad >= 0) throw new Error(`parameter "${name}" holds ${v.data[bad]} at index ${bad}: the weights are not finite`);
      setParameter(p, v.data);
    }
    if (opts.strict ?? true) for (const name of state.keys()) if (!own.has(name)) throw new Error(`state dict entry "${name}" matches no parameter`);
  }

  async stateDict(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, p] of this.namedParameters()) out.set(name, { shape: [...p.shape], data: await p.toArray() });
    return out;
  }
}

function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

/** Overwrites a parameter's values in place (the optimizer keeps its state for it). */
function setParameter(p: Tensor, data: ArrayLike<number>): void {
  p.backend.write(p.storage, data);
}

/** Named children without a forward of their own, as torch.nn.ModuleDict. */
export class ModuleDict extends Module {
  constructor(entries: Record<string, Module> = {}) {
    super();
    for (const [name, m] of Object.entries(entries)) this.addModule(name, m);
  }
  forward(): Tensor {
    throw new Error("ModuleDict has no forward; call its children");
  }
}

export class Sequential extends Module {
  readonly layers: Module[];
  /** whether each Conv2d → PReLU pair runs as one op: asked for with Sequential.fusingConvPrelu */
  private fuseConvPrelu = false;
  constructor(...layers: Module[]) {
    super();
    this.layers = layers.map((m, i) => this.addModule(String(i), m));
  }

  /**
   * A Sequential that runs each Conv2d followed by a PReLU as one op, `conv2dPrelu` (one kernel when no gradient
   * is recorded, the same values as the two layers), with the same children and parameter names.
   */
  static fusingConvPrelu(...layers: Module[]): Sequential {
    const seq = new Sequential(...layers);
    seq.fuseConvPrelu = true;
    return seq;
  }

  forward(x: Tensor): Tensor {
    // Without a graph nothing needs the activations again: each layer's temporaries, and the activation before
    // it, are freed as soon as its output exists, so a deep network's inference holds a few activations, not all
    // (VDSR's 20 layers at HR size). With a graph the tape keeps them for backward.
    const inference = !gradEnabled();
    let h = x;
    for (let i = 0; i < this.layers.length; i++) {
      const m = this.layers[i]!, next = this.layers[i + 1];
      const fused = this.fuseConvPrelu && m instanceof Conv2d && next instanceof PReLU;
      const apply = (input: Tensor) => (fused ? conv2dPrelu(input, m.weight, m.bias, (next as PReLU).weight, m.opts) : m.forward(input));
      const out = inference ? tidy(() => apply(h)) : apply(h);
      if (inference && h !== x && h !== out) h.dispose();
      h = out;
      if (fused) i++;
    }
    return h;
  }
}

/** Options of the convolution layers. */
export interface ConvLayerOptions extends ModuleOptions {
  bias?: boolean;
  /** the weight's initialiser (PyTorch's default unless given); the bias keeps PyTorch's rule, U(±1/√fan_in) */
  init?: WeightInit;
}

/** The weight from `opts.init` (PyTorch's default unless given), then the bias by PyTorch's rule, from one generator. */
function convParameters(shape: number[], biasSize: number, opts: ConvLayerOptions): { weight: Tensor; bias: Tensor | null } {
  const rng = opts.rng ?? defaultRng();
  const backend = opts.backend ?? getDefaultBackend();
  const weight = parameter((opts.init ?? defaultWeightInit)(shape, rng), shape, backend);
  const bias = opts.bias === false ? null : parameter(uniformFanIn(rng, biasSize, fans(shape).fanIn), [biasSize], backend);
  return { weight, bias };
}

export interface Conv2dOptions extends ConvOptions, ConvLayerOptions {}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  /** with `opts.groups` = g the weight is [outChannels, inChannels / g, kh, kw], as torch's */
  constructor(readonly inChannels: number, readonly outChannels: number, kernel: number | [number, number], readonly opts: Conv2dOptions = {}) {
    super();
    const [kh, kw] = typeof kernel === "number" ? [kernel, kernel] : kernel;
    const groups = opts.groups ?? 1;
    checkGroups("Conv2d", groups, inChannels, outChannels);
    const p = convParameters([outChannels, inChannels / groups, kh, kw], outChannels, opts);
    this.weight = this.addParameter("weight", p.weight);
    this.bias = p.bias && this.addParameter("bias", p.bias);
  }
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.opts);
  }
}

export interface ConvTranspose2dOptions extends ConvTransposeOptions, ConvLayerOptions {}

export class ConvTranspose2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(readonly inChannels: number, readonly outChannels: number, kernel: number | [number, number], readonly opts: ConvTranspose2dOptions = {}) {
    super();
    const [kh, kw] = typeof kernel === "number" ? [kernel, kernel] : kernel;
    const p = convParameters([inChannels, outChannels, kh, kw], outChannels, opts);
    this.weight = this.addParameter("weight", p.weight);
    this.bias = p.bias && this.addParameter("bias", p.bias);
  }
  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, this.opts);
  }
}

export class PReLU extends Module {
  readonly weight: Tensor;
  /** one shared slope by default, as nn.PReLU(); `numParameters` = C for one per channel */
  constructor(numParameters = 1, init = 0.25, opts: ModuleOptions = {}) {
    super();
    this.weight = this.addParameter("weight", parameter(new Float32Array(numParameters).fill(init), [numParameters], opts.backend ?? getDefaultBackend()));
  }
  forward(x: Tensor): Tensor {
    return prelu(x, this.weight);
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class LeakyReLU extends Module {
  /** the slope for x ≤ 0: PyTorch's default, 0.01, unless given */
  constructor(readonly negativeSlope?: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
}

/** [N, C·r², H, W] → [N, C, H·r, W·r], as torch.nn.PixelShuffle(r). */
export class PixelShuffle extends Module {
  constructor(readonly upscaleFactor: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return pixelShuffle(x, this.upscaleFactor);
  }
}
