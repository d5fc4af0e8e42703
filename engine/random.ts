// A small seeded generator (mulberry32) whose whole state is one 32-bit word, so runs can be resumed exactly.

export class Rng {
  private s: number;
  constructor(seed = 0) {
    this.s = seed >>> 0;
  }
  /** uniform in [0, 1) */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** standard normal (Box–Muller) */
  normal(): number {
    const u = 1 - this.next(), v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  get state(): number {
    return this.s;
  }
  set state(s: number) {
    this.s = s >>> 0;
  }
}

/**
 * The generator layers draw their initial weights from when none is given: one per process, so two layers
 * built alike start different (as in PyTorch), and reproducible from `manualSeed` (0 at start).
 */
let globalRng = new Rng(0);

export function defaultRng(): Rng {
  return globalRng;
}

/** Restarts the default generator from `seed` (PyTorch's torch.manual_seed). */
export function manualSeed(seed: number): void {
  globalRng = new Rng(seed);
}
