import preluBackwardWgsl from "../../../shaders/prelu_backward.wgsl" with { type: "text" };
import preluWgsl from "../../../shaders/prelu.wgsl" with { type: "text" };
import { sizeOf, type Shape4 } from "../../shape.ts";
import { type GpuRuntime, Params } from "../runtime.ts";
import { elementType } from "./element-type.ts";
import { partialsPrelude, REDUCE_THREADS } from "./partials.ts";
import { sum } from "./reduce.ts";

/** Elements per run when one slope is shared (runs are then only a unit of work). */
const SHARED_RUN = 4096;

/**
 * The tensor as runs of elements that share a slope (see prelu.wgsl): one [H, W] plane per channel, or chunks;
 * counted in vec4s when every run is a whole number of them.
 */
function runs(shape: Shape4, perChannel: boolean): { n: number; planes: number; C: number; plane: number; type: ReturnType<typeof elementType> } {
  const n = sizeOf(shape);
  const r = perChannel
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

export function preluBackward(
  rt: GpuRuntime, x: GPUBuffer, shape: Shape4, slope: GPUBuffer, perChannel: boolean, dy: GPUBuffer,
): { dx: GPUBuffer; dslope: GPUBuffer } {
  const r = runs(shape, perChannel);
  // about 64 workgroups in all, each over the runs of one slope
  const chunks = Math.max(1, Math.min(Math.ceil(64 / r.C), r.planes / r.C));
  const dx = rt.acquire(sizeOf(shape)), parts = rt.acquire(r.C * chunks);
  rt.dispatch({
    key: `prelu_backward${r.type.key}`, code: r.type.code + partialsPrelude + preluBackwardWgsl, params: new Params().u32(r.n, r.planes, r.C, r.plane, chunks), buffers: [x, slope, dy, dx, parts],
    workgroups: [r.C, chunks, 1],
  });
  if (chunks === 1) return { dx, dslope: parts };
  const dslope = sum(rt, parts, [1, 1, r.C, chunks], [false, false, false, true], 1);
  rt.giveBack(parts);
  return { dx, dslope };
}
