import preluBackwardWgsl from "../../../shaders/prelu_backward.wgsl" with { type: "text" };
import preluWgsl from "../../../shaders/prelu.wgsl" with { type: "text" };
import { sizeOf, type Shape4 } from "../../shape.ts";
import { type GpuRuntime, Params } from "../runtime.ts";
import { elementType } from "./element-type.ts";
import { partialsPrelude, REDUCE_THREADS } from "./partials.ts";
import { CHUNK, sum } from "./reduce.ts";

/** Elements per run when one slope is shared (runs are then only a unit of work). */
const SHARED_RUN = 4096;

/**
 * The tensor as runs of elements that share a slope (see prelu.wgsl): one [H, W] plane per channel, or chunks
 * (when one slope is shared and nothing is summed per channel); counted in vec4s when every run is a whole number
 * of them.
 */
function runs(shape: Shape4, byChannel: boolean): { n: number; planes: number; C: number; plane: number; type: ReturnType<typeof elementType> } {
  const n = sizeOf(shape);
  const r = byChannel
    ? { n, planes: shape[0] * shape[1], C: shape[1], plane: shape[2] * shape[3] }
    : { n, planes: Math.ceil(n / SHARED_RUN), C: 1, plane: SHARED_RUN };
  const type = elementType(r.n % 4 === 0 && r.plane % 4 === 0);
  return { ...r, n: r.n / type.width, plane: r.plane / type.width, type };
}

/** The forward walks the runs as the backward does, with as many threads (bench/NOTES.md, entry 38). */
const FORWARD_THREADS = `const THREADS: u32 = ${REDUCE_THREADS}u;\n`;

export function prelu(rt: GpuRuntime, x: GPUBuffer, shape: Shape4, slope: GPUBuffer, perChannel: boolean): GPUBuffer {
  const r = runs(shape, perChannel);
  const y = rt.acquire(sizeOf(shape));
  rt.dispatch({
    key: `prelu${r.type.key}`, code: r.type.code + FORWARD_THREADS + preluWgsl, params: new Params().u32(r.n, r.planes, r.C, r.plane), buffers: [x, slope, y],
    workgroups: rt.elementwiseGrid(r.n),
  });
  return y;
}

/**
 * PReLU's backward: dx and the slopes' gradient; with `biasGrad`, also Σ dx per channel, the gradient of the bias
 * of the conv whose output x is (one pass for both: ops/conv.ts, conv2dPrelu).
 */
export function preluBackward(
  rt: GpuRuntime, x: GPUBuffer, shape: Shape4, slope: GPUBuffer, perChannel: boolean, dy: GPUBuffer, biasGrad = false,
): { dx: GPUBuffer; dslope: GPUBuffer; dbias: GPUBuffer | null } {
  const r = runs(shape, perChannel || biasGrad);
  // up to about 64 workgroups in all, each over the runs of one channel, but at least CHUNK elements each: the pass
  // that adds a channel's chunks cost more than the parallelism they bought on LR-sized tensors (bench/NOTES.md,
  // entry 51)
  const chunks = Math.max(1, Math.min(Math.ceil(64 / r.C), r.planes / r.C, Math.floor(sizeOf(shape) / r.C / CHUNK)));
  const dx = rt.acquire(sizeOf(shape)), parts = rt.acquire(r.C * chunks), biasParts = biasGrad ? rt.acquire(r.C * chunks) : null;
  const bias = biasParts
    ? "const BIAS_GRAD = true;\n@group(0) @binding(6) var<storage, read_write> dbias_part: array<f32>;\nfn bias_sum(i: u32, v: f32) { dbias_part[i] = v; }\n"
    : "const BIAS_GRAD = false;\nfn bias_sum(i: u32, v: f32) {}\n";
  rt.dispatch({
    key: `prelu_backward${r.type.key}${biasParts ? "/bias" : ""}`, code: r.type.code + partialsPrelude + bias + preluBackwardWgsl,
    params: new Params().u32(r.n, r.planes, r.C, r.plane, chunks, perChannel ? 1 : 0), buffers: [x, slope, dy, dx, parts, ...(biasParts ? [biasParts] : [])],
    workgroups: [r.C, chunks, 1],
  });
  // [C, chunks] partial sums: per channel, or all of them for a shared slope
  const reduce = (p: GPUBuffer, perC: boolean) => {
    if (perC && chunks === 1) return p;
    const total = sum(rt, p, perC ? [1, 1, r.C, chunks] : [1, 1, 1, r.C * chunks], [false, false, false, true], 1);
    rt.giveBack(p);
    return total;
  };
  return { dx, dslope: reduce(parts, perChannel || r.C === 1), dbias: biasParts && reduce(biasParts, true) };
}
