// Inference memory stays bounded by a few activations, not by a network's depth or by how many tile shapes it
// has seen: without a graph, nn.Sequential frees each activation (and each layer's temporaries) once the next
// exists — with the same output; and the WebGPU buffer pool destroys what it cannot keep past its limit, after the
// work that may still read it is submitted. CPU backend always, WebGPU as everywhere (required in CI).

import { afterAll, describe, expect, test } from "bun:test";
import type { Backend } from "../../engine/backend.ts";
import { add, CpuBackend, nn, noGrad, Rng, sum, Tensor, tidy } from "../../engine/index.ts";
import { WebGpuBackend } from "../../engine/webgpu/backend.ts";
import { haveWebGpu } from "../webgpu.ts";

const gpu = (await haveWebGpu("inference memory on WebGPU")) ? await WebGpuBackend.create() : null;
const cpu = new CpuBackend("float32");
afterAll(() => {
  gpu?.destroy();
  cpu.destroy();
});

/** 12 conv + ReLU layers (the shape of VDSR's body), and a fused conv + PReLU pair. */
function deepNet(backend: Backend): nn.Sequential {
  const rng = new Rng(3);
  const layers: nn.Module[] = [];
  for (let i = 0; i < 12; i++) layers.push(new nn.Conv2d(i ? 8 : 1, 8, 3, { padding: 1, rng, backend }), new nn.ReLU());
  const tail = nn.Sequential.fusingConvPrelu(new nn.Conv2d(8, 4, 3, { padding: 1, rng, backend }), new nn.PReLU(1, 0.25, { backend }));
  return new nn.Sequential(...layers, tail);
}

describe.each([["cpu", () => cpu], ["webgpu", () => gpu]] as const)("%s", (name, get) => {
  test.skipIf(name === "webgpu" && !gpu)("a Sequential without a graph holds its output only; with a graph, every activation", async () => {
    const backend = get()!;
    const net = deepNet(backend);
    const x = Tensor.fromArray(new Float32Array(2 * 9 * 11).map((_, i) => Math.sin(i)), [2, 1, 9, 11], { backend });
    try {
      const inference = await tidy(async () => {
        const before = backend.memory().live;
        const y = noGrad(() => net.forward(x));
        expect(backend.memory().live - before).toBe(1); // the output
        return Float32Array.from(await y.toArray());
      });
      const training = await tidy(async () => {
        const before = backend.memory().live;
        const y = net.forward(x); // the parameters require gradients: a graph is recorded
        expect(backend.memory().live - before).toBeGreaterThanOrEqual(25); // 24 activations + the fused pair's output
        return Float32Array.from(await y.toArray());
      });
      expect(inference).toEqual(training);
    } finally {
      x.dispose();
      net.dispose();
    }
  });
});

test.skipIf(!gpu)("the WebGPU pool keeps at most its limit; buffers past it are destroyed after the work that reads them", async () => {
  const rt = gpu!.rt;
  const limit = rt.poolLimitBytes;
  rt.poolLimitBytes = 64 * 1024;
  try {
    await tidy(async () => {
      // released while the work that reads them is still recorded, not submitted
      const sums: Tensor[] = [];
      for (let n = 1000; n < 9000; n += 1000) {
        const a = Tensor.fromArray(new Float32Array(n).fill(1), [n], { backend: gpu! });
        const b = Tensor.fromArray(new Float32Array(n).fill(2), [n], { backend: gpu! });
        sums.push(sum(add(a, b)));
        a.dispose();
        b.dispose();
      }
      expect(rt.memory().pooledBytes).toBeLessThanOrEqual(64 * 1024);
      // the destroyed inputs were read correctly before they went
      const values = await Promise.all(sums.map((s) => s.item()));
      expect(values).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000].map((n) => 3 * n));
    });
    expect(rt.memory().pooledBytes).toBeLessThanOrEqual(64 * 1024);
  } finally {
    rt.poolLimitBytes = limit;
  }
});
