// Optimizers whose updates run on the device (one kernel per parameter), and a cosine-annealing schedule.

import type { Backend, Storage } from "./backend.ts";
import { type Tensor, tidy } from "./tensor.ts";

/** Per-parameter state buffers, kept on the parameter's backend. */
interface Slot {
  backend: Backend;
  buffers: Storage[];
}

abstract class Optimizer {
  lr: number;
  /** number of step() calls so far */
  stepCount = 0;
  protected slots = new Map<Tensor, Slot>();

  constructor(readonly params: Tensor[], lr: number, protected stateBuffers: number) {
    if (!(lr > 0)) throw new Error(`learning rate must be positive, got ${lr}`);
    for (const p of params) if (!p.requiresGrad) throw new Error(`optimizer given a tensor [${p.shape}] that does not require grad`);
    this.lr = lr;
  }

  protected slot(p: Tensor): Slot {
    let s = this.slots.get(p);
    if (!s) {
      s = { backend: p.backend, buffers: Array.from({ length: this.stateBuffers }, () => p.backend.fill(p.size, 0)) };
      this.slots.set(p, s);
    }
    return s;
  }

  /** Applies one update to every parameter that has a gradient, then submits the step's queued work. */
  step(): void {
    this.stepCount++;
    for (const p of this.params) if (p.grad) this.update(p, p.grad, this.slot(p));
    // the end of an update is the end of a training step: one submit for its forward, backward and update
    for (const b of new Set(this.params.map((p) => p.backend))) b.flush();
  }

  protected abstract update(p: Tensor, grad: Tensor, slot: Slot): void;

  /**
   * One training step: inside a tidy scope, `lossOf()` builds the loss, the gradients are zeroed, the loss is
   * backpropagated and one update applied. Returns the loss, which outlives the scope: read it (`item()`), then
   * dispose it. Everything else the step made is freed.
   */
  minimize(lossOf: () => Tensor): Tensor {
    return tidy(() => {
      const loss = lossOf();
      this.zeroGrad();
      loss.backward();
      this.step();
      return loss;
    });
  }

  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** State for checkpoints: the step count and every state buffer, in parameter order. */
  async stateDict(): Promise<{ step: number; lr: number; buffers: Float32Array[][] }> {
    const buffers: Float32Array[][] = [];
    for (const p of this.params) {
      const s = this.slots.get(p);
      buffers.push(s ? await Promise.all(s.buffers.map(async (b) => Float32Array.from(await s.backend.read(b)))) : []);
    }
    return { step: this.stepCount, lr: this.lr, buffers };
  }

  loadStateDict(state: { step: number; lr: number; buffers: ArrayLike<number>[][] }): void {
    if (state.buffers.length !== this.params.length) throw new Error(`optimizer state has ${state.buffers.length} parameters, optimizer has ${this.params.length}`);
    this.dispose();
    this.stepCount = state.step;
    this.lr = state.lr;
    state.buffers.forEach((bufs, i) => {
      const p = this.params[i];
      if (!bufs.length) return;
      if (bufs.length !== this.stateBuffers || bufs.some((b) => b.length !== p.size)) throw new Error(`optimizer state for parameter ${i} [${p.shape}] has the wrong size`);
      this.slots.set(p, { backend: p.backend, buffers: bufs.map((b) => p.backend.upload(b)) });
    });
  }

  /** Frees the state buffers. */
  dispose(): void {
    // the parameters may already be disposed: each slot remembers its backend
    for (const s of this.slots.values()) for (const b of s.buffers) s.backend.release(b);
    this.slots.clear();
  }
}

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/** torch.optim.Adam: bias-corrected moments, eps added outside the square root. */
export class Adam extends Optimizer {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;

  constructor(params: Tensor[], opts: AdamOptions = {}) {
    super(params, opts.lr ?? 1e-3, 2);
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
  }

  protected update(p: Tensor, grad: Tensor, slot: Slot): void {
    const [m, v] = slot.buffers;
    const be: Backend = p.backend;
    be.adam(p.storage, grad.storage, m, v, {
      lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, step: this.stepCount,
    });
  }
}

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** torch.optim.SGD with momentum (buffer starts as the first gradient), dampening and Nesterov. */
export class SGD extends Optimizer {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  private started = new Set<Tensor>();

  constructor(params: Tensor[], opts: SgdOptions) {
    super(params, opts.lr, 1);
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) throw new Error("Nesterov momentum needs momentum > 0 and zero dampening");
  }

  protected update(p: Tensor, grad: Tensor, slot: Slot): void {
    const first = !this.started.has(p);
    this.started.add(p);
    p.backend.sgd(p.storage, grad.storage, slot.buffers[0], {
      lr: this.lr, momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay, nesterov: this.nesterov, first,
    });
  }

  override loadStateDict(state: { step: number; lr: number; buffers: ArrayLike<number>[][] }): void {
    super.loadStateDict(state);
    this.started = new Set(this.params.filter((_, i) => state.buffers[i].length > 0));
  }
}

export { Optimizer };

/** η_t = η_min + (η_0 − η_min)(1 + cos(π t / T)) / 2, PyTorch's CosineAnnealingLR in closed form. */
export function cosineAnnealingLr(baseLr: number, minLr: number, t: number, tMax: number): number {
  return minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * Math.min(t, tMax)) / tMax))) / 2;
}

/** Steps an optimizer's learning rate along a cosine from its initial value to `etaMin` over `tMax` steps. */
export class CosineAnnealing {
  readonly baseLr: number;
  t = 0;
  constructor(private optimizer: Optimizer, readonly tMax: number, readonly etaMin = 0) {
    if (!(tMax > 0)) throw new Error(`cosine annealing needs tMax > 0, got ${tMax}`);
    this.baseLr = optimizer.lr;
  }
  step(): void {
    this.t++;
    this.optimizer.lr = cosineAnnealingLr(this.baseLr, this.etaMin, this.t, this.tMax);
  }
}
