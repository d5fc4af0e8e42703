// The CPU reference backend: plain loops over typed arrays. In float64 it serves the finite-difference
// gradient checks; in float32 it is the fallback when no WebGPU adapter exists and the yardstick for benchmarks.

import { checkBinaryOp } from "../backend.ts";
import type {
  AdamHyper, Backend, BinaryOp, ConvGeometry, FloatArray, MemoryStats, NllKind, PreluEpilogue, SgdHyper, SparseRows, Storage, UnaryArgs,
  UnaryOp,
} from "../backend.ts";
import { convOutShape, type Shape4 } from "../shape.ts";
import * as ch from "./channels.ts";
import * as conv from "./conv.ts";
import * as ew from "./elementwise.ts";
import * as nl from "./nll.ts";
import * as optim from "./optim.ts";
import * as ps from "./pixel-shuffle.ts";
import * as pr from "./prelu.ts";
import { sum } from "./reduce.ts";
import { resample2d } from "./resample.ts";
import * as un from "./unary.ts";

export class CpuStorage implements Storage {
  constructor(public data: FloatArray | null) {}
  get length(): number {
    return this.array.length;
  }
  get array(): FloatArray {
    if (!this.data) throw new Error("cpu storage used after release");
    return this.data;
  }
}

export class CpuBackend implements Backend {
  readonly name = "cpu" as const;
  readonly description: string;
  readonly maxElements = 2 ** 31 - 1;
  private live = 0;

  constructor(readonly dtype: "float32" | "float64" = "float32") {
    this.description = `CPU reference (${dtype})`;
  }

  private alloc = (n: number): FloatArray => (this.dtype === "float64" ? new Float64Array(n) : new Float32Array(n));

  private wrap(a: FloatArray): CpuStorage {
    this.live++;
    return new CpuStorage(a);
  }

  private arr(s: Storage): FloatArray {
    return (s as CpuStorage).array;
  }

  upload(data: ArrayLike<number>): Storage {
    const a = this.alloc(data.length);
    a.set(data);
    return this.wrap(a);
  }
  write(s: Storage, data: ArrayLike<number>): void {
    const a = this.arr(s);
    if (data.length !== a.length) throw new Error(`write: ${data.length} values into storage of ${a.length}`);
    a.set(data);
  }
  async read(s: Storage): Promise<FloatArray> {
    return this.arr(s).slice();
  }
  release(s: Storage): void {
    const c = s as CpuStorage;
    if (!c.data) throw new Error("cpu storage released twice");
    c.data = null;
    this.live--;
  }
  flush(): void {}
  memory(): MemoryStats {
    return { live: this.live, pooled: 0, pooledBytes: 0 };
  }
  destroy(): void {}

  fill(length: number, value: number): Storage {
    return this.wrap(this.alloc(length).fill(value));
  }
  unary(op: UnaryOp, x: Storage, args: UnaryArgs = {}): Storage {
    return this.wrap(un.unary(op, this.arr(x), args, this.alloc));
  }
  unaryBackward(op: UnaryOp, x: Storage, dy: Storage, args: UnaryArgs = {}): Storage {
    return this.wrap(un.unaryBackward(op, this.arr(x), this.arr(dy), args, this.alloc));
  }
  nll(kind: NllKind, mu: Storage, scale: Storage, target: Storage, a: number, eps: number): Storage {
    return this.wrap(nl.nll(kind, this.arr(mu), this.arr(scale), this.arr(target), a, eps, this.alloc));
  }
  nllBackward(
    kind: NllKind, mu: Storage, scale: Storage, target: Storage, a: number, eps: number, g: Storage, factor: number,
  ): { dmu: Storage; dscale: Storage } {
    const r = nl.nllBackward(kind, this.arr(mu), this.arr(scale), this.arr(target), a, eps, this.arr(g), factor, this.alloc);
    return { dmu: this.wrap(r.dmu), dscale: this.wrap(r.dscale) };
  }
  binary(op: BinaryOp, a: Storage, aShape: Shape4, b: Storage, bShape: Shape4, outShape: Shape4): Storage {
    return this.wrap(ew.binary(checkBinaryOp(op), this.arr(a), aShape, this.arr(b), bShape, outShape, this.alloc));
  }
  sum(x: Storage, shape: Shape4, axes: readonly boolean[], scale: number): Storage {
    return this.wrap(sum(this.arr(x), shape, axes, scale, this.alloc));
  }
  conv2d(x: Storage, xShape: Shape4, w: Storage, wShape: Shape4, bias: Storage | null, g: ConvGeometry, prelu?: PreluEpilogue | null): Storage {
    const y = conv.conv2d(this.arr(x), xShape, this.arr(w), wShape, bias && this.arr(bias), g, this.alloc);
    if (!prelu) return this.wrap(y);
    return this.wrap(pr.prelu(y, convOutShape(xShape, wShape, g), this.arr(prelu.slope), prelu.perChannel, this.alloc));
  }
  conv2dPreluKeep(
    x: Storage, xShape: Shape4, w: Storage, wShape: Shape4, bias: Storage | null, g: ConvGeometry, prelu: PreluEpilogue,
  ): { pre: Storage; y: Storage } {
    const pre = conv.conv2d(this.arr(x), xShape, this.arr(w), wShape, bias && this.arr(bias), g, this.alloc);
    return { pre: this.wrap(pre), y: this.wrap(pr.prelu(pre, convOutShape(xShape, wShape, g), this.arr(prelu.slope), prelu.perChannel, this.alloc)) };
  }
  convTranspose2d(
    x: Storage, xShape: Shape4, w: Storage, wShape: Shape4, bias: Storage | null, g: ConvGeometry, outHW: readonly [number, number],
  ): Storage {
    return this.wrap(conv.convTranspose2d(this.arr(x), xShape, this.arr(w), wShape, bias && this.arr(bias), g, outHW, this.alloc));
  }
  conv2dWeightGrad(x: Storage, xShape: Shape4, dy: Storage, dyShape: Shape4, kernel: readonly [number, number], g: ConvGeometry): Storage {
    return this.wrap(conv.conv2dWeightGrad(this.arr(x), xShape, this.arr(dy), dyShape, kernel, g, this.alloc));
  }
  prelu(x: Storage, xShape: Shape4, slope: Storage, perChannel: boolean): Storage {
    return this.wrap(pr.prelu(this.arr(x), xShape, this.arr(slope), perChannel, this.alloc));
  }
  preluBackward(
    x: Storage, xShape: Shape4, slope: Storage, perChannel: boolean, dy: Storage, biasGrad = false,
  ): { dx: Storage; dslope: Storage; dbias: Storage | null } {
    const r = pr.preluBackward(this.arr(x), xShape, this.arr(slope), perChannel, this.arr(dy), this.alloc);
    const dbias = biasGrad ? sum(r.dx, xShape, [true, false, true, true], 1, this.alloc) : null;
    return { dx: this.wrap(r.dx), dslope: this.wrap(r.dslope), dbias: dbias && this.wrap(dbias) };
  }
  pixelShuffle(x: Storage, xShape: Shape4, r: number): Storage {
    return this.wrap(ps.pixelShuffle(this.arr(x), xShape, r, this.alloc));
  }
  pixelUnshuffle(x: Storage, xShape: Shape4, r: number): Storage {
    return this.wrap(ps.pixelUnshuffle(this.arr(x), xShape, r, this.alloc));
  }
  resample2d(x: Storage, xShape: Shape4, height: SparseRows, width: SparseRows, heightFirst: boolean): Storage {
    return this.wrap(resample2d(this.arr(x), xShape, height, width, heightFirst, this.alloc));
  }
  concatChannels(xs: readonly Storage[], shapes: readonly Shape4[]): Storage {
    return this.wrap(ch.concatChannels(xs.map((x) => this.arr(x)), shapes, this.alloc));
  }
  sliceChannels(x: Storage, shape: Shape4, start: number, length: number): Storage {
    return this.wrap(ch.sliceChannels(this.arr(x), shape, start, length, this.alloc));
  }
  adam(param: Storage, grad: Storage, m: Storage, v: Storage, h: AdamHyper): void {
    optim.adam(this.arr(param), this.arr(grad), this.arr(m), this.arr(v), h);
  }
  sgd(param: Storage, grad: Storage, buf: Storage, h: SgdHyper): void {
    optim.sgd(this.arr(param), this.arr(grad), this.arr(buf), h);
  }
}
