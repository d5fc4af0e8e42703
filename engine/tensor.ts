// The tensor: a shape, a reference-counted slice of backend memory, and — when it was computed from tensors
// that need gradients — the node that records how, so backward() can walk the graph in reverse.

import type { Backend, FloatArray, Storage } from "./backend.ts";
import { beginScope, endScope, getDefaultBackend, gradEnabled, track, untrack, withoutGrad } from "./context.ts";
import { assertShape, sameShape, type Shape, sizeOf } from "./shape.ts";

/** Backend memory shared by a tensor and its views (reshape, detach); released when the last one goes. */
class SharedStorage {
  private refs = 1;
  constructor(readonly backend: Backend, readonly storage: Storage) {}
  retain(): this {
    this.refs++;
    return this;
  }
  drop(): void {
    if (--this.refs === 0) this.backend.release(this.storage);
  }
}

/** Maps the gradient of a node's output to gradients of its inputs (null where none is needed). */
export type BackwardFn = (grad: Tensor) => (Tensor | null)[];

interface Node {
  op: string;
  inputs: Tensor[];
  backward: BackwardFn;
}

export interface TensorOptions {
  backend?: Backend;
  requiresGrad?: boolean;
}

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  requiresGrad: boolean;
  /** accumulated ∂loss/∂this after backward(); kept across scopes until zeroGrad or dispose */
  grad: Tensor | null = null;
  node: Node | null = null;
  private mem: SharedStorage | null;
  /** the op that made a disposed tensor, so errors about using it can say where it came from */
  private disposedOp: string | undefined;

  private constructor(mem: SharedStorage, shape: Shape, requiresGrad: boolean) {
    this.mem = mem;
    this.shape = [...shape];
    this.size = sizeOf(shape);
    this.requiresGrad = requiresGrad;
    track(this);
  }

  // ---- construction

  static fromArray(data: ArrayLike<number>, shape: Shape, opts: TensorOptions = {}): Tensor {
    assertShape(shape);
    if (data.length !== sizeOf(shape)) throw new Error(`tensor: ${data.length} values do not fill shape [${shape}] (${sizeOf(shape)})`);
    const backend = opts.backend ?? getDefaultBackend();
    if (data.length > backend.maxElements) throw new Error(`tensor of shape [${shape}] exceeds this ${backend.name} device's ${backend.maxElements} elements per tensor`);
    return new Tensor(new SharedStorage(backend, backend.upload(data)), shape, opts.requiresGrad ?? false);
  }

  /** Wraps fresh backend memory (ownership passes to the tensor). */
  static fromStorage(backend: Backend, storage: Storage, shape: Shape): Tensor {
    if (storage.length !== sizeOf(shape)) throw new Error(`storage of ${storage.length} elements does not match shape [${shape}]`);
    return new Tensor(new SharedStorage(backend, storage), shape, false);
  }

  static full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
    assertShape(shape);
    const backend = opts.backend ?? getDefaultBackend();
    const t = Tensor.fromStorage(backend, backend.fill(sizeOf(shape), value), shape);
    t.requiresGrad = opts.requiresGrad ?? false;
    return t;
  }

  /**
   * The result of an op: records `backward` when gradients are on and any input needs one.
   * Inputs may include null (an absent bias), which is skipped.
   */
  static fromOp(op: string, backend: Backend, storage: Storage, shape: Shape, inputs: (Tensor | null)[], backward: BackwardFn): Tensor {
    const out = Tensor.fromStorage(backend, storage, shape);
    const present = inputs.filter((t): t is Tensor => t !== null);
    if (gradEnabled() && present.some((t) => t.requiresGrad)) {
      out.requiresGrad = true;
      // backward is written against the full input list; map its answers onto the present inputs
      out.node = {
        op,
        inputs: present,
        backward: (g) => backward(g).filter((_, i) => inputs[i] !== null),
      };
    }
    return out;
  }

  // ---- access

  get backend(): Backend {
    return this.live().backend;
  }
  get storage(): Storage {
    return this.live().storage;
  }
  get disposed(): boolean {
    return this.mem === null;
  }
  get rank(): number {
    return this.shape.length;
  }

  private live(): SharedStorage {
    if (!this.mem) throw new Error(`tensor [${this.shape}] was disposed${this.disposedOp ? ` (made by ${this.disposedOp})` : ""}`);
    return this.mem;
  }

  /** The values, in the backend's precision (Float32Array, or Float64Array on a float64 CPU backend). */
  async data(): Promise<FloatArray> {
    return this.backend.read(this.storage);
  }
  async toArray(): Promise<Float32Array> {
    const d = await this.data();
    return d instanceof Float32Array ? d : Float32Array.from(d);
  }
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item() needs a one-element tensor, got shape [${this.shape}]`);
    return (await this.data())[0];
  }

  // ---- views (share memory)

  /** Same memory, new shape; gradients flow back through the reshape. */
  reshape(shape: Shape): Tensor {
    const resolved = resolveShape(shape, this.size);
    if (sizeOf(resolved) !== this.size) throw new Error(`cannot reshape [${this.shape}] (${this.size} elements) to [${shape}]`);
    const view = new Tensor(this.live().retain(), resolved, false);
    if (gradEnabled() && this.requiresGrad) {
      view.requiresGrad = true;
      const from = this.shape;
      view.node = { op: "reshape", inputs: [this], backward: (g) => [g.reshape(from)] };
    }
    return view;
  }

  /** Same memory, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.live().retain(), this.shape, false);
  }

  // ---- memory

  dispose(): void {
    if (!this.mem) return;
    this.mem.drop();
    this.mem = null;
    this.disposedOp = this.node?.op;
    this.node = null;
    untrack(this);
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  /** Outlives every enclosing scope (parameters, optimizer state, results kept across steps). */
  keep(): this {
    untrack(this);
    return this;
  }

  // ---- autograd

  /** Reverse-mode differentiation from this tensor (a scalar unless `gradient` is given). */
  backward(gradient?: Tensor): void {
    if (!this.requiresGrad) throw new Error("backward() on a tensor that does not require grad (no input was a parameter, or grad was off)");
    if (!gradient && this.size !== 1) throw new Error(`backward() without a gradient needs a scalar, got shape [${this.shape}]`);
    if (gradient && !sameShape(gradient.shape, this.shape)) throw new Error(`gradient shape [${gradient.shape}] differs from tensor shape [${this.shape}]`);
    withoutGrad(() => {
      const order = topologicalOrder(this);
      const grads = new Map<Tensor, Tensor>();
      grads.set(this, gradient ? gradient.detach() : Tensor.full(this.shape, 1, { backend: this.backend }));
      for (let i = order.length - 1; i >= 0; i--) {
        const t = order[i];
        const g = grads.get(t);
        if (!g) continue;
        grads.delete(t);
        if (!t.node) {
          accumulateLeafGrad(t, g);
          continue;
        }
        const inputGrads = t.node.backward(g);
        t.node.inputs.forEach((input, k) => {
          const gi = inputGrads[k];
          if (!gi || !input.requiresGrad) return;
          if (!sameShape(gi.shape, input.shape)) throw new Error(`${t.node!.op} backward gave [${gi.shape}] for input [${input.shape}]`);
          // a backward may hand the same tensor to several inputs (add: dy, dy); each entry owns its own view
          const owned = gi === g || inputGrads.indexOf(gi) !== k ? gi.detach() : gi;
          const prev = grads.get(input);
          if (prev) {
            grads.set(input, addSameShape(prev, owned));
            prev.dispose();
            owned.dispose();
          } else grads.set(input, owned);
        });
        g.dispose();
      }
    });
  }

  zeroGrad(): void {
    this.grad?.dispose();
    this.grad = null;
  }

  toString(): string {
    return `Tensor([${this.shape}], ${this.mem?.backend.name ?? "disposed"}${this.requiresGrad ? ", requiresGrad" : ""})`;
  }
}

function resolveShape(shape: Shape, size: number): number[] {
  const free = shape.indexOf(-1);
  if (free < 0) return [...shape];
  const known = shape.reduce((n, d, i) => (i === free ? n : n * d), 1);
  return shape.map((d, i) => (i === free ? size / known : d));
}

/** Tensors that need gradients, inputs before the tensors computed from them. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // iterative DFS: deep models would overflow the call stack
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length) {
    const [t, expanded] = stack.pop()!;
    if (expanded) {
      order.push(t);
      continue;
    }
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push([t, true]);
    for (const input of t.node?.inputs ?? []) if (input.requiresGrad && !seen.has(input)) stack.push([input, false]);
  }
  return order;
}

function addSameShape(a: Tensor, b: Tensor): Tensor {
  const s4 = [1, 1, 1, a.size] as const;
  return Tensor.fromStorage(a.backend, a.backend.binary("add", a.storage, s4, b.storage, s4, s4), a.shape);
}

function accumulateLeafGrad(leaf: Tensor, g: Tensor): void {
  if (leaf.grad) {
    const sum = addSameShape(leaf.grad, g).keep();
    leaf.grad.dispose();
    g.dispose();
    leaf.grad = sum;
  } else leaf.grad = g.keep();
}

// ---- scopes

type Kept = Tensor | Kept[] | { [k: string]: Kept } | unknown;

function collectTensors(value: Kept, into: Set<Tensor>): Set<Tensor> {
  if (value instanceof Tensor) into.add(value);
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, into);
  else if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, into);
  }
  return into;
}

/**
 * Runs `fn` and disposes every tensor it created except those it returns (found in arrays and plain
 * objects) and those it kept. Async functions are awaited; do not interleave two async scopes.
 */
export function tidy<T>(fn: () => T): T {
  beginScope();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    endScope([]);
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (r) => (endScope(collectTensors(r, new Set())), r),
      (e) => (endScope([]), Promise.reject(e)),
    ) as T;
  }
  endScope(collectTensors(result, new Set()));
  return result;
}

/** Runs `fn` without recording a graph (inference, frozen teachers, optimizer arithmetic). */
export function noGrad<T>(fn: () => T): T {
  return withoutGrad(fn);
}
