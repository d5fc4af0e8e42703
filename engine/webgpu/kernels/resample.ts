// Separable resampling (bicubic resizing and its gradient): one dispatch of shaders/resample.wgsl per axis,
// each a gather through a sparse matrix that is uploaded once per key and kept.

import resampleWgsl from "../../../shaders/resample.wgsl" with { type: "text" };
import type { SparseRows } from "../../backend.ts";
import type { Shape4 } from "../../shape.ts";
import { type GpuRuntime, Params } from "../runtime.ts";

/**
 * The matrices uploaded so far, by key, each one buffer of u32: row offsets, indices, then the weights' f32 bits.
 * Outside the storage pool (they are no tensor's), they last as long as the device.
 */
export class SparseTables {
  private tables = new Map<string, GPUBuffer>();
  constructor(private device: GPUDevice) {}

  get size(): number {
    return this.tables.size;
  }

  get(m: SparseRows): GPUBuffer {
    let b = this.tables.get(m.key);
    if (!b) {
      const nnz = m.indices.length;
      b = this.device.createBuffer({ size: 4 * (m.rows + 1 + 2 * nnz), usage: GPUBufferUsage.STORAGE, mappedAtCreation: true, label: m.key });
      const words = new Uint32Array(b.getMappedRange());
      words.set(m.offsets);
      words.set(m.indices, m.rows + 1);
      new Float32Array(words.buffer).set(m.weights, m.rows + 1 + nnz);
      b.unmap();
      this.tables.set(m.key, b);
    }
    return b;
  }
}

/** x [outer, m.cols, inner] → [outer, m.rows, inner] */
function along(rt: GpuRuntime, tables: SparseTables, m: SparseRows, x: GPUBuffer, outer: number, inner: number): GPUBuffer {
  const n = outer * m.rows * inner;
  const y = rt.acquire(n);
  rt.dispatch({
    key: "resample", code: resampleWgsl, params: new Params().u32(n, inner, m.rows, m.cols, m.indices.length),
    buffers: [x, tables.get(m), y], workgroups: rt.elementwiseGrid(n),
  });
  return y;
}

/** x [N, C, H, W] → [N, C, height.rows, width.rows] */
export function resample2d(
  rt: GpuRuntime, tables: SparseTables, x: GPUBuffer, [N, C, H, W]: Shape4, height: SparseRows, width: SparseRows, heightFirst: boolean,
): GPUBuffer {
  const planes = N * C;
  const mid = heightFirst ? along(rt, tables, height, x, planes, W) : along(rt, tables, width, x, planes * H, 1);
  const y = heightFirst ? along(rt, tables, width, mid, planes * height.rows, 1) : along(rt, tables, height, mid, planes, width.rows);
  rt.giveBack(mid);
  return y;
}
