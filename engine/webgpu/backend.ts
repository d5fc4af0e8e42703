// The WebGPU backend: storage is a pooled GPUBuffer; every kernel is a WGSL file in shaders/ dispatched
// through the runtime, which batches all work into one submit until something is read back.

import { checkBinaryOp, groupsOf } from "../backend.ts";
import type {
  AdamHyper, Backend, BinaryOp, ConvGeometry, FloatArray, MemoryStats, NllKind, PreluEpilogue, SgdHyper, SparseRows, Storage, UnaryArgs,
  UnaryOp,
} from "../backend.ts";
import { convOutShape, type Shape4, sizeOf } from "../shape.ts";
import { HOW_TO_GET_WEBGPU, requestGpuDevice } from "./device.ts";
import * as ch from "./kernels/channels.ts";
import * as conv from "./kernels/conv.ts";
import * as grouped from "./kernels/conv-grouped.ts";
import * as ew from "./kernels/elementwise.ts";
import * as nl from "./kernels/nll.ts";
import * as optim from "./kernels/optim.ts";
import * as ps from "./kernels/pixel-shuffle.ts";
import * as pr from "./kernels/prelu.ts";
import { sum } from "./kernels/reduce.ts";
import { resample2d, SparseTables } from "./kernels/resample.ts";
import * as un from "./kernels/unary.ts";
import { GpuRuntime } from "./runtime.ts";

export class GpuStorage implements Storage {
  constructor(private buf: GPUBuffer | null, readonly length: number) {}
  get buffer(): GPUBuffer {
    if (!this.buf) throw new Error("GPU storage used after release");
    return this.buf;
  }
  take(): GPUBuffer {
    const b = this.buffer;
    this.buf = null;
    return b;
  }
}

const buf = (s: Storage): GPUBuffer => (s as GpuStorage).buffer;

export class WebGpuBackend implements Backend {
  readonly name = "webgpu" as const;
  readonly dtype = "float32" as const;
  readonly maxElements: number;
  readonly rt: GpuRuntime;
  /** resample2d's matrices, uploaded once each */
  readonly sparseTables: SparseTables;

  /** `software`: a CPU implementation of WebGPU (lavapipe, SwiftShader) runs the kernels */
  private constructor(device: GPUDevice, readonly description: string, readonly software: boolean) {
    this.rt = new GpuRuntime(device, software);
    this.sparseTables = new SparseTables(device);
    this.maxElements = Math.floor(this.rt.maxBufferBytes / 4);
  }

  /** Throws, saying why and how to fix it, when no real adapter exists. */
  /** `gpu`: a GPU object supplied by the host (see requestGpuDevice); otherwise the runtime's own. */
  static async create(gpu?: GPU): Promise<WebGpuBackend> {
    const found = await requestGpuDevice(gpu);
    if ("reason" in found) throw new Error(`WebGPU is not available: ${found.reason}; ${HOW_TO_GET_WEBGPU}`);
    return new WebGpuBackend(found.device, found.description, found.software);
  }

  private wrap(b: GPUBuffer, length: number): GpuStorage {
    return new GpuStorage(b, length);
  }

  upload(data: ArrayLike<number>): Storage {
    const b = this.rt.acquire(data.length);
    this.rt.write(b, data instanceof Float32Array ? data : Float32Array.from(data));
    return this.wrap(b, data.length);
  }
  write(s: Storage, data: ArrayLike<number>): void {
    if (data.length !== s.length) throw new Error(`write: ${data.length} values into storage of ${s.length}`);
    this.rt.write(buf(s), data instanceof Float32Array ? data : Float32Array.from(data));
  }
  read(s: Storage): Promise<FloatArray> {
    return this.rt.read(buf(s), s.length);
  }
  release(s: Storage): void {
    this.rt.giveBack((s as GpuStorage).take());
  }
  flush(): void {
    this.rt.flush();
  }
  memory(): MemoryStats {
    return this.rt.memory();
  }
  destroy(): void {
    this.rt.destroy();
  }

  fill(length: number, value: number): Storage {
    return this.wrap(ew.fill(this.rt, length, value), length);
  }
  unary(op: UnaryOp, x: Storage, args: UnaryArgs = {}): Storage {
    return this.wrap(un.unary(this.rt, op, buf(x), x.length, args), x.length);
  }
  unaryBackward(op: UnaryOp, x: Storage, dy: Storage, args: UnaryArgs = {}): Storage {
    return this.wrap(un.unaryBackward(this.rt, op, buf(x), buf(dy), x.length, args), x.length);
  }
  nll(kind: NllKind, mu: Storage, scale: Storage, target: Storage, a: number, eps: number): Storage {
    return this.wrap(nl.nll(this.rt, kind, buf(mu), buf(scale), buf(target), mu.length, a, eps), mu.length);
  }
  nllBackward(
    kind: NllKind, mu: Storage, scale: Storage, target: Storage, a: number, eps: number, g: Storage, factor: number,
  ): { dmu: Storage; dscale: Storage } {
    const r = nl.nllBackward(this.rt, kind, buf(mu), buf(scale), buf(target), mu.length, a, eps, buf(g), factor);
    return { dmu: this.wrap(r.dmu, mu.length), dscale: this.wrap(r.dscale, mu.length) };
  }
  binary(op: BinaryOp, a: Storage, aShape: Shape4, b: Storage, bShape: Shape4, outShape: Shape4): Storage {
    return this.wrap(ew.binary(this.rt, checkBinaryOp(op), buf(a), aShape, buf(b), bShape, outShape), outShape[0] * outShape[1] * outShape[2] * outShape[3]);
  }
  sum(x: Storage, shape: Shape4, axes: readonly boolean[], scale: number): Storage {
    const length = shape.reduce((n, d, i) => (axes[i] ? n : n * d), 1);
    return this.wrap(sum(this.rt, buf(x), shape, axes, scale), length);
  }
  // Grouped convolutions (groups > 1) run the tuned kernels once per group (kernels/conv-grouped.ts).
  conv2d(x: Storage, xShape: Shape4, w: Storage, wShape: Shape4, bias: Storage | null, g: ConvGeometry, prelu?: PreluEpilogue | null): Storage {
    const act = prelu ? { slope: buf(prelu.slope), perChannel: prelu.perChannel } : null;
    const y = (groupsOf(g) > 1 ? grouped : conv).conv2d(this.rt, buf(x), xShape, buf(w), wShape, bias && buf(bias), g, act);
    return this.wrap(y, sizeOf(convOutShape(xShape, wShape, g)));
  }
  conv2dPreluKeep(
    x: Storage, xShape: Shape4, w: Storage, wShape: Shape4, bias: Storage | null, g: ConvGeometry, prelu: PreluEpilogue,
  ): { pre: Storage; y: Storage } {
    const yShape = convOutShape(xShape, wShape, g);
    if (groupsOf(g) > 1) {
      // grouped convs run per group (kernels/conv-grouped.ts): the PReLU as a pass of its own
      const pre = this.conv2d(x, xShape, w, wShape, bias, g);
      return { pre, y: this.prelu(pre, yShape, prelu.slope, prelu.perChannel) };
    }
    const r = conv.conv2dPreluKeep(this.rt, buf(x), xShape, buf(w), wShape, bias && buf(bias), g, buf(prelu.slope), prelu.perChannel);
    return { pre: this.wrap(r.pre, sizeOf(yShape)), y: this.wrap(r.post, sizeOf(yShape)) };
  }
  convTranspose2d(
    x: Storage, xShape: Shape4, w: Storage, wShape: Shape4, bias: Storage | null, g: ConvGeometry, outHW: readonly [number, number],
  ): Storage {
    const y = (groupsOf(g) > 1 ? grouped : conv).convTranspose2d(this.rt, buf(x), xShape, buf(w), wShape, bias && buf(bias), g, outHW);
    return this.wrap(y, xShape[0] * wShape[1] * groupsOf(g) * outHW[0] * outHW[1]);
  }
  conv2dWeightGrad(x: Storage, xShape: Shape4, dy: Storage, dyShape: Shape4, kernel: readonly [number, number], g: ConvGeometry): Storage {
    const dw = (groupsOf(g) > 1 ? grouped : conv).conv2dWeightGrad(this.rt, buf(x), xShape, buf(dy), dyShape, kernel, g);
    return this.wrap(dw, dyShape[1] * (xShape[1] / groupsOf(g)) * kernel[0] * kernel[1]);
  }
  prelu(x: Storage, xShape: Shape4, slope: Storage, perChannel: boolean): Storage {
    return this.wrap(pr.prelu(this.rt, buf(x), xShape, buf(slope), perChannel), x.length);
  }
  preluBackward(
    x: Storage, xShape: Shape4, slope: Storage, perChannel: boolean, dy: Storage, biasGrad = false,
  ): { dx: Storage; dslope: Storage; dbias: Storage | null } {
    const r = pr.preluBackward(this.rt, buf(x), xShape, buf(slope), perChannel, buf(dy), biasGrad);
    return { dx: this.wrap(r.dx, x.length), dslope: this.wrap(r.dslope, perChannel ? xShape[1] : 1), dbias: r.dbias && this.wrap(r.dbias, xShape[1]) };
  }
  pixelShuffle(x: Storage, xShape: Shape4, r: number): Storage {
    return this.wrap(ps.pixelShuffle(this.rt, "shuffle", buf(x), xShape, r), x.length);
  }
  pixelUnshuffle(x: Storage, [N, C, Hr, Wr]: Shape4, r: number): Storage {
    return this.wrap(ps.pixelShuffle(this.rt, "unshuffle", buf(x), [N, C * r * r, Hr / r, Wr / r], r), x.length);
  }
  resample2d(x: Storage, xShape: Shape4, height: SparseRows, width: SparseRows, heightFirst: boolean): Storage {
    const y = resample2d(this.rt, this.sparseTables, buf(x), xShape, height, width, heightFirst);
    return this.wrap(y, xShape[0] * xShape[1] * height.rows * width.rows);
  }
  concatChannels(xs: readonly Storage[], shapes: readonly Shape4[]): Storage {
    const [N, , H, W] = shapes[0]!;
    return this.wrap(ch.concatChannels(this.rt, xs.map(buf), shapes), N * shapes.reduce((c, s) => c + s[1], 0) * H * W);
  }
  sliceChannels(x: Storage, shape: Shape4, start: number, length: number): Storage {
    return this.wrap(ch.sliceChannels(this.rt, buf(x), shape, start, length), shape[0] * length * shape[2] * shape[3]);
  }
  adam(param: Storage, grad: Storage, m: Storage, v: Storage, h: AdamHyper): void {
    optim.adam(this.rt, buf(param), buf(grad), buf(m), buf(v), param.length, h);
  }
  sgd(param: Storage, grad: Storage, momentumBuffer: Storage, h: SgdHyper): void {
    optim.sgd(this.rt, buf(param), buf(grad), buf(momentumBuffer), param.length, h);
  }
}
