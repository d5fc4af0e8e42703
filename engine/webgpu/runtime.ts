// The WebGPU execution layer: pooled storage buffers, one pending command encoder that collects every
// dispatch until a readback (or an explicit flush) submits it, per-dispatch uniforms packed into a shared
// arena, and compute pipelines compiled once per kernel key.

import commonWgsl from "../../shaders/common.wgsl" with { type: "text" };
import type { MemoryStats } from "../backend.ts";
import { keepingEncodedStrings } from "./ffi-strings.ts";
import { releaseHandle } from "./release.ts";

/** Uniform parameters of one dispatch: a flat list of 4-byte scalars, in the order of the WGSL struct. */
export class Params {
  private words: { kind: "u32" | "i32" | "f32"; value: number }[] = [];
  u32(...vs: number[]): this {
    for (const value of vs) this.words.push({ kind: "u32", value });
    return this;
  }
  i32(...vs: number[]): this {
    for (const value of vs) this.words.push({ kind: "i32", value });
    return this;
  }
  f32(...vs: number[]): this {
    for (const value of vs) this.words.push({ kind: "f32", value });
    return this;
  }
  /** Writes the words at `offset` of `view`; returns the byte length (uniform structs round up to 16). */
  writeTo(view: DataView, offset: number): number {
    this.words.forEach(({ kind, value }, i) => {
      const at = offset + 4 * i;
      if (kind === "u32") view.setUint32(at, value, true);
      else if (kind === "i32") view.setInt32(at, value, true);
      else view.setFloat32(at, value, true);
    });
    return Math.max(16, Math.ceil((this.words.length * 4) / 16) * 16);
  }
}

export interface Dispatch {
  /** cache key of the compiled pipeline: the shader's name plus anything substituted into it */
  key: string;
  /** WGSL source (the common prelude is prepended) */
  code: string;
  entry?: string;
  params: Params;
  /** storage buffers for bindings 1, 2, …; binding 0 is the uniform block */
  buffers: GPUBuffer[];
  workgroups: readonly [number, number, number];
}

const ARENA_BYTES = 1 << 16;
const UNIFORM_ALIGN = 256; // the largest minUniformBufferOffsetAlignment any implementation may ask for

/** Uniform blocks for the dispatches of one submit; chunks are recycled after the submit. */
class UniformArena {
  private chunks: { buffer: GPUBuffer; cpu: ArrayBuffer; used: number }[] = [];
  private current = 0;

  constructor(private device: GPUDevice) {}

  place(params: Params): { buffer: GPUBuffer; offset: number; size: number } {
    let chunk = this.chunks[this.current];
    if (chunk && chunk.used + UNIFORM_ALIGN > ARENA_BYTES) chunk = this.chunks[++this.current];
    if (!chunk) {
      chunk = {
        buffer: this.device.createBuffer({ size: ARENA_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }),
        cpu: new ArrayBuffer(ARENA_BYTES),
        used: 0,
      };
      this.chunks[this.current] = chunk;
    }
    const offset = chunk.used;
    const size = params.writeTo(new DataView(chunk.cpu), offset);
    chunk.used += Math.ceil(size / UNIFORM_ALIGN) * UNIFORM_ALIGN;
    return { buffer: chunk.buffer, offset, size };
  }

  /** Uploads what this submit placed; queue order puts the writes before the submit that reads them. */
  upload(queue: GPUQueue): void {
    for (const chunk of this.chunks) {
      if (chunk.used) queue.writeBuffer(chunk.buffer, 0, chunk.cpu, 0, chunk.used);
      chunk.used = 0;
    }
    this.current = 0;
  }

  destroy(): void {
    for (const c of this.chunks) c.buffer.destroy();
    this.chunks = [];
  }
}

/** GPU timestamps around each dispatch, resolved at every submit and summed per kernel key. */
class Profiler {
  private static readonly CAPACITY = 2048;
  private querySet: GPUQuerySet;
  private keys: string[] = [];
  private pending: Promise<void>[] = [];
  private unmapped: (() => Promise<void>)[] = [];
  private totals = new Map<string, { count: number; ns: number }>();

  constructor(private device: GPUDevice) {
    this.querySet = device.createQuerySet({ type: "timestamp", count: 2 * Profiler.CAPACITY });
  }

  pass(encoder: GPUCommandEncoder, key: string, begin: (e: GPUCommandEncoder, d: GPUComputePassDescriptor) => GPUComputePassEncoder): GPUComputePassEncoder {
    if (this.keys.length === Profiler.CAPACITY) throw new Error(`profiler: more than ${Profiler.CAPACITY} dispatches in one submit`);
    const i = this.keys.push(key) - 1;
    return begin(encoder, { timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
  }

  resolve(encoder: GPUCommandEncoder): void {
    if (!this.keys.length) return;
    const bytes = this.keys.length * 16;
    const resolved = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const staging = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    encoder.resolveQuerySet(this.querySet, 0, 2 * this.keys.length, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
    const keys = this.keys;
    this.keys = [];
    this.unmapped.push(() =>
      staging.mapAsync(GPUMapMode.READ).then(() => {
        const t = new BigInt64Array(staging.getMappedRange().slice(0));
        keys.forEach((key, i) => {
          const e = this.totals.get(key) ?? { count: 0, ns: 0 };
          e.count++;
          e.ns += Number(t[2 * i + 1] - t[2 * i]);
          this.totals.set(key, e);
        });
        staging.unmap();
        staging.destroy();
        resolved.destroy();
      }),
    );
  }

  /** Maps the timestamps of the submit that just went out (mapping before the submit is an error). */
  submitted(): void {
    for (const map of this.unmapped.splice(0)) this.pending.push(map());
  }

  async results(): Promise<{ key: string; count: number; ms: number }[]> {
    await Promise.all(this.pending);
    this.querySet.destroy();
    return [...this.totals].map(([key, e]) => ({ key, count: e.count, ms: e.ns / 1e6 })).sort((a, b) => b.ms - a.ms);
  }
}

/**
 * Dispatches recorded into one submit at most. Dawn recycles the descriptor set of a released bind group only
 * after a later submit completes, and lavapipe crashes at 65,536 live ones (docs/bun-webgpu-leak.md), so
 * work that never reads back is still submitted in pieces. A training step records a few hundred.
 */
const MAX_DISPATCHES_PER_SUBMIT = 2048;

/**
 * Bytes of released buffers the pool keeps at most. Past it a released buffer is destroyed (once the work recorded
 * so far is submitted): tiled inference meets a new set of activation sizes at every tile shape, and pooling them
 * all took 22 GB for VDSR on a 480×270 image. A training step reuses the same sizes and pools far less (the ×4
 * teacher: 325 MB).
 */
const POOL_LIMIT_BYTES = 1 << 30;

/** Mappable read buffers kept between reads (entry 28), and the largest one worth keeping. */
const READ_STAGING_KEPT = 4;
const READ_STAGING_MAX_BYTES = 64 * 1024 * 1024;

export class GpuRuntime {
  private pool = new Map<number, GPUBuffer[]>();
  private pooledCount = 0;
  private pooledBytes = 0;
  private liveCount = 0;
  private poolLimit = POOL_LIMIT_BYTES;
  /** released buffers past the pool's limit, destroyed at the next submit (recorded work may still read them) */
  private doomed: GPUBuffer[] = [];
  /** each pipeline with its bind group layout, asked for once (every getBindGroupLayout call is a new reference) */
  private pipelines = new Map<string, { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }>();
  /** bind groups of the work recorded since the last submit, released once it is submitted (see release.ts) */
  private recordedGroups: GPUBindGroup[] = [];
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private uniforms: UniformArena;
  private errors: string[] = [];
  private readStaging: GPUBuffer[] = [];
  private profiler: Profiler | null = null;
  private pendingChecks: Promise<void>[] = [];
  /**
   * Dispatches, submits and compiled pipelines so far, and the native objects created and released (bind
   * groups, compute passes, command buffers): for tests, soak runs and benchmarks.
   */
  readonly counters = { dispatches: 0, submits: 0, pipelines: 0, bindGroups: 0, bindGroupsReleased: 0, passes: 0, passesReleased: 0 };

  /** Workgroups an elementwise kernel gets at most; it loops over the rest (see grid_stride in common.wgsl). */
  private readonly elementwiseGroups: number;

  /** Workgroups per grid dimension: the device's limit (tests lower it to exercise the launches that loop or fold). */
  maxGroups: number;

  /**
   * The fewest invocations a subgroup has, when the device has the "subgroups" feature (lavapipe: 8); else 0.
   * Kernels whose lanes all load the same weights then share them instead (conv.ts, weightSharing); tests set 0.
   */
  subgroupMinSize: number;
  /** The most invocations a subgroup has (0 without subgroups); where it equals subgroupMinSize, every subgroup has that many. */
  subgroupMaxSize: number;

  /** `software`: a CPU implementation (lavapipe, SwiftShader), where each workgroup has a fixed cost. */
  constructor(readonly device: GPUDevice, software = false) {
    const info = (device as { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } }).adapterInfo;
    this.subgroupMinSize = device.features.has("subgroups") ? (info?.subgroupMinSize ?? 0) : 0;
    this.subgroupMaxSize = device.features.has("subgroups") ? (info?.subgroupMaxSize ?? 0) : 0;
    this.elementwiseGroups = software ? 64 : 4096;
    this.maxGroups = device.limits.maxComputeWorkgroupsPerDimension;
    this.uniforms = new UniformArena(device);
    device.addEventListener?.("uncapturederror", (ev) => {
      this.errors.push((ev as GPUUncapturedErrorEvent).error.message);
    });
  }

  get maxBufferBytes(): number {
    return Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
  }

  /** Whether a tensor of `length` floats can be bound as a uniform buffer (every pooled buffer that small can). */
  fitsUniform(length: number): boolean {
    return GpuRuntime.bytesFor(length) <= this.device.limits.maxUniformBufferBindingSize;
  }

  // ---- memory

  static bytesFor(length: number): number {
    return Math.max(16, Math.ceil((length * 4) / 16) * 16);
  }

  acquire(length: number): GPUBuffer {
    const bytes = GpuRuntime.bytesFor(length);
    if (bytes > this.maxBufferBytes) {
      throw new Error(`tensor of ${length} elements needs ${bytes} bytes; this device allows ${this.maxBufferBytes} per buffer`);
    }
    this.liveCount++;
    const free = this.pool.get(bytes);
    if (free?.length) {
      this.pooledCount--;
      this.pooledBytes -= bytes;
      return free.pop()!;
    }
    // GPUBufferUsage is read here, not at module load: under Bun it exists only once bun-webgpu set up its globals.
    // Small buffers may also be bound as uniforms (kernels read weights that way: see fitsUniform).
    const uniform = this.fitsUniform(length) ? GPUBufferUsage.UNIFORM : 0;
    return this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | uniform });
  }

  /** Back to the pool. Work already recorded that reads the buffer still runs first: the queue is ordered. */
  giveBack(buffer: GPUBuffer): void {
    this.liveCount--;
    const bytes = buffer.size;
    if (this.pooledBytes + bytes > this.poolLimit) return this.retire(buffer);
    const list = this.pool.get(bytes) ?? [];
    list.push(buffer);
    this.pool.set(bytes, list);
    this.pooledCount++;
    this.pooledBytes += bytes;
  }

  /** Bytes the pool keeps at most (tests lower it); lowering it destroys what no longer fits. */
  get poolLimitBytes(): number {
    return this.poolLimit;
  }

  set poolLimitBytes(bytes: number) {
    this.poolLimit = bytes;
    for (const [size, list] of this.pool) {
      while (list.length && this.pooledBytes > bytes) {
        this.retire(list.pop()!);
        this.pooledCount--;
        this.pooledBytes -= size;
      }
    }
  }

  /** Destroys a released buffer: now, or after the next submit if recorded work may still read it. */
  private retire(buffer: GPUBuffer): void {
    if (this.encoder) this.doomed.push(buffer);
    else buffer.destroy();
  }

  memory(): MemoryStats {
    const c = this.counters;
    const nativeHandles = c.bindGroups - c.bindGroupsReleased + c.passes - c.passesReleased;
    return { live: this.liveCount, pooled: this.pooledCount, pooledBytes: this.pooledBytes, nativeHandles };
  }

  // ---- recording

  private pipeline(d: Dispatch): { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout } {
    const key = `${d.key}:${d.entry ?? "main"}`;
    let p = this.pipelines.get(key);
    if (!p) {
      this.device.pushErrorScope("validation");
      const pipeline = keepingEncodedStrings(() => {
        // a kernel's pieces may each carry a directive (`enable …;`, `diagnostic(…);` on a line of its own), but
        // WGSL wants the directives before every declaration: they move to the top
        const directive = /^(?:enable |requires |diagnostic\()[^;]*;\n/gm;
        const directives = [...new Set(d.code.match(directive) ?? [])].join("");
        const module = this.device.createShaderModule({ code: `${directives}${commonWgsl}\n${d.code.replace(directive, "")}`, label: d.key });
        return this.device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: d.entry ?? "main" }, label: key });
      });
      this.pendingChecks.push(
        this.device.popErrorScope().then((e) => {
          if (e) this.errors.push(`kernel ${key}: ${e.message}`);
        }),
      );
      p = { pipeline, layout: pipeline.getBindGroupLayout(0) };
      this.pipelines.set(key, p);
      this.counters.pipelines++;
    }
    return p;
  }

  private beginPass(encoder: GPUCommandEncoder, descriptor?: GPUComputePassDescriptor): GPUComputePassEncoder {
    this.counters.passes++;
    return encoder.beginComputePass(descriptor);
  }

  private endPass(pass: GPUComputePassEncoder): void {
    pass.end();
    releaseHandle(pass);
    this.counters.passesReleased++;
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    if (!this.pass) this.pass = this.beginPass(this.encoder);
    return this.pass;
  }

  /** The pending encoder with no compute pass open, ready to record a copy. */
  private copyEncoder(): GPUCommandEncoder {
    if (this.pass) this.endPass(this.pass);
    this.pass = null;
    return (this.encoder ??= this.device.createCommandEncoder());
  }

  dispatch(d: Dispatch): void {
    const [x, y, z] = d.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const { pipeline, layout } = this.pipeline(d);
    const u = this.uniforms.place(d.params);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: u.buffer, offset: u.offset, size: u.size } }];
    d.buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
    const pass = this.profiler ? this.profiler.pass(this.copyEncoder(), d.key, (e, desc) => this.beginPass(e, desc)) : this.computePass();
    const group = this.device.createBindGroup({ layout, entries });
    this.recordedGroups.push(group);
    this.counters.bindGroups++;
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
    if (this.profiler) this.endPass(pass);
    this.counters.dispatches++;
    if (this.recordedGroups.length >= MAX_DISPATCHES_PER_SUBMIT) this.flush();
  }

  /** Times every dispatch from now on with GPU timestamps (one pass per dispatch); needs "timestamp-query". */
  startProfiling(): void {
    if (!this.device.features.has("timestamp-query")) throw new Error("this device has no timestamp-query feature");
    this.profiler = new Profiler(this.device);
  }

  /** Stops profiling; returns the GPU time per kernel key, most expensive first. */
  async stopProfiling(): Promise<{ key: string; count: number; ms: number }[]> {
    const p = this.profiler;
    if (!p) throw new Error("not profiling");
    this.flush();
    this.profiler = null;
    return p.results();
  }

  /** A 1-D launch of `groups` workgroups folded into 2-D when it passes the per-dimension limit. */
  grid(groups: number): [number, number, number] {
    const max = this.maxGroups;
    if (groups <= max) return [groups, 1, 1];
    const y = Math.ceil(groups / max);
    return [Math.ceil(groups / y), y, 1];
  }

  /** Launch size of an elementwise kernel over `n` items with 256-wide workgroups. */
  elementwiseGrid(n: number): [number, number, number] {
    return this.grid(Math.min(Math.ceil(n / 256), this.elementwiseGroups));
  }

  flush(): void {
    if (!this.encoder) return;
    if (this.pass) this.endPass(this.pass);
    this.pass = null;
    this.profiler?.resolve(this.encoder);
    this.uniforms.upload(this.device.queue);
    const commands = this.encoder.finish();
    this.device.queue.submit([commands]);
    // the submitted work holds its own references to what it uses; ours can go
    releaseHandle(commands);
    for (const group of this.recordedGroups.splice(0)) releaseHandle(group);
    for (const buffer of this.doomed.splice(0)) buffer.destroy();
    this.counters.bindGroupsReleased = this.counters.bindGroups;
    this.profiler?.submitted();
    this.encoder = null;
    this.counters.submits++;
  }

  async read(buffer: GPUBuffer, length: number): Promise<Float32Array> {
    const bytes = GpuRuntime.bytesFor(length);
    const staging = this.takeReadStaging(bytes);
    this.copyEncoder().copyBufferToBuffer(buffer, 0, staging, 0, bytes);
    this.flush();
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    } catch (e) {
      staging.destroy();
      throw e;
    }
    const out = new Float32Array(staging.getMappedRange(0, bytes).slice(0, length * 4));
    staging.unmap();
    this.giveBackReadStaging(staging);
    await this.checkErrors();
    return out;
  }

  /**
   * A mappable buffer of at least `bytes` for a read: the smallest one kept from earlier reads, else a new one.
   * The first map of a new buffer costs ~10 ms per MB on lavapipe, a map of a reused one a few ms (a 1080p
   * image: 105–120 ms → 1–8 ms; bench/NOTES.md, entry 28).
   */
  private takeReadStaging(bytes: number): GPUBuffer {
    let best = -1;
    this.readStaging.forEach((b, i) => {
      if (b.size >= bytes && (best < 0 || b.size < this.readStaging[best]!.size)) best = i;
    });
    if (best >= 0) return this.readStaging.splice(best, 1)[0]!;
    return this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  /** Keeps a read's buffer for the next reads: the largest few, up to READ_STAGING_KEPT in all. */
  private giveBackReadStaging(staging: GPUBuffer): void {
    if (staging.size > READ_STAGING_MAX_BYTES) return staging.destroy();
    this.readStaging.push(staging);
    this.readStaging.sort((a, b) => b.size - a.size);
    for (const b of this.readStaging.splice(READ_STAGING_KEPT)) b.destroy();
  }

  /**
   * Copies `data` into `buffer`. The work recorded so far is submitted first: queue.writeBuffer takes effect in
   * queue order, so it must not overtake recorded dispatches that still read the (pooled) buffer. Dawn stages
   * the data in buffers it reuses; a new mapped staging buffer per write cost ~30 ms for a 2.6 MB training batch
   * on lavapipe, writeBuffer ~1 ms (bench/NOTES.md, entry 28).
   */
  write(buffer: GPUBuffer, data: Float32Array): void {
    this.flush();
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  async checkErrors(): Promise<void> {
    await Promise.all(this.pendingChecks.splice(0));
    if (this.errors.length) throw new Error(`WebGPU error: ${this.errors.splice(0).join("; ")}`);
  }

  destroy(): void {
    this.flush();
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
    for (const b of this.readStaging.splice(0)) b.destroy();
    this.pooledCount = this.pooledBytes = 0;
    this.uniforms.destroy();
    this.device.destroy();
  }
}
