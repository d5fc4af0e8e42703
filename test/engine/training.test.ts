// Training end to end: the same tiny model trains identically on the CPU (float32) and on WebGPU; a long
// run inside tidy holds memory flat; the WebGPU runtime submits once per step and compiles each pipeline
// once; and the autograd/memory semantics (tidy, noGrad, detach, accumulation, errors) hold.

import { describe, expect, test } from "bun:test";
import type { Backend } from "../../engine/backend.ts";
import {
  Adam, add, CpuBackend, mseLoss, mul, nn, noGrad, Rng, SGD, sum, Tensor, tidy,
} from "../../engine/index.ts";
import { Rng as DataRng, webGpuForFile } from "./util.ts";

const { skip, gpu } = await webGpuForFile("training tests");
const gpuTest = skip ? test.skip : test;

const SEED = 1234;
const data = new DataRng(99);
const X = data.normals(2 * 1 * 8 * 8);
const Y = data.normals(2 * 1 * 16 * 16, 0.5);

function tinyModel(backend: Backend, seed = SEED): nn.Sequential {
  const rng = new Rng(seed);
  return new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1, rng, backend }),
    new nn.PReLU(1, 0.25, { backend }),
    new nn.ConvTranspose2d(8, 1, 5, { stride: 2, padding: 2, outputPadding: 1, rng, backend }),
  );
}

interface Trainer {
  model: nn.Sequential;
  opt: Adam;
  x: Tensor;
  y: Tensor;
  /** one step (Optimizer.minimize); returns the loss tensor, which the caller disposes */
  step(): Tensor;
  dispose(): void;
}

function trainer(backend: Backend): Trainer {
  const model = tinyModel(backend);
  const opt = new Adam(model.parameters(), { lr: 1e-2 });
  const x = Tensor.fromArray(X, [2, 1, 8, 8], { backend }).keep();
  const y = Tensor.fromArray(Y, [2, 1, 16, 16], { backend }).keep();
  return {
    model, opt, x, y,
    step: () => opt.minimize(() => mseLoss(model.forward(x), y)),
    dispose: () => {
      opt.dispose();
      model.dispose();
      x.dispose();
      y.dispose();
    },
  };
}

describe("training the tiny model", () => {
  gpuTest("(a) CPU float32 and WebGPU reach the same loss (to 1e-4) at each of 50 Adam steps, and the loss falls", async () => {
    const runs: number[][] = [];
    for (const be of [new CpuBackend("float32"), gpu()]) {
      const t = trainer(be);
      // the same seeded init on both backends
      expect(t.model.parameterCount()).toBe(8 * 9 + 8 + 1 + 8 * 25 + 1);
      const losses: number[] = [];
      for (let i = 0; i < 50; i++) {
        const loss = t.step();
        losses.push(await loss.item());
        loss.dispose();
      }
      t.dispose();
      runs.push(losses);
    }
    const [cpuLoss, gpuLoss] = runs;
    for (let i = 0; i < 50; i++) {
      const err = Math.abs(gpuLoss[i] - cpuLoss[i]) / Math.abs(cpuLoss[i]);
      if (!(err <= 1e-4)) throw new Error(`step ${i + 1}: CPU loss ${cpuLoss[i]}, WebGPU loss ${gpuLoss[i]} (relative difference ${err})`);
    }
    expect(Number.isFinite(cpuLoss[0])).toBe(true);
    expect(cpuLoss[49]).toBeLessThan(0.8 * cpuLoss[0]);
    expect(gpuLoss[49]).toBeLessThan(0.8 * gpuLoss[0]);
  });

  gpuTest("(b) 200 WebGPU steps inside tidy keep live buffers, pool count and pooled bytes exactly as after step 1", () => {
    const be = gpu();
    const t = trainer(be);
    t.step().dispose();
    const first = be.memory();
    expect(first.live).toBeGreaterThan(0);
    for (let i = 2; i <= 200; i++) {
      t.step().dispose();
      const m = be.memory();
      if (m.live !== first.live || m.pooled !== first.pooled || m.pooledBytes !== first.pooledBytes) {
        throw new Error(`step ${i}: memory ${JSON.stringify(m)} differs from after step 1 ${JSON.stringify(first)}`);
      }
    }
    const before = be.memory().live;
    t.dispose();
    // parameters (5), their grads (5), Adam moments (10) and the two data tensors are all released
    expect(be.memory().live).toBe(before - 22);
  });

  gpuTest("(c) one submit per training step without readbacks; pipelines are compiled during the first step only", async () => {
    const be = gpu();
    const t = trainer(be);
    const { counters } = be.rt;
    const pipelinesBefore = counters.pipelines;
    let submits = counters.submits;
    t.step().dispose();
    expect(counters.submits).toBe(submits + 1);
    const pipelinesAfterFirst = counters.pipelines;
    for (let i = 2; i <= 10; i++) {
      submits = counters.submits;
      const dispatches = counters.dispatches;
      t.step().dispose();
      expect(counters.submits).toBe(submits + 1);
      expect(counters.dispatches).toBeGreaterThan(dispatches);
      expect(counters.pipelines).toBe(pipelinesAfterFirst);
    }
    expect(pipelinesAfterFirst).toBeGreaterThanOrEqual(pipelinesBefore);
    // reading the loss back after the step costs one submit of its own (the copy to a staging buffer)
    submits = counters.submits;
    const loss = t.step();
    expect(counters.submits).toBe(submits + 1);
    await loss.item();
    expect(counters.submits).toBe(submits + 2);
    loss.dispose();
    t.dispose();
  });
});

describe("(d) autograd and memory semantics (CPU float32)", () => {
  const be = new CpuBackend("float32");
  const opts = { backend: be };

  test("tidy disposes intermediates but keeps returned tensors, kept tensors and parameters", () => {
    const p = nn.parameter([1, 2, 3], [3], be);
    const live0 = be.memory().live;
    let a!: Tensor, b!: Tensor, kept!: Tensor;
    const out = tidy(() => {
      a = Tensor.fromArray([4, 5, 6], [3], opts);
      b = mul(a, p);
      kept = add(b, 1).keep();
      return { y: add(b, p), list: [mul(p, 2)] };
    });
    expect(a.disposed).toBe(true);
    expect(b.disposed).toBe(true);
    expect(p.disposed).toBe(false);
    expect(kept.disposed).toBe(false);
    expect(out.y.disposed).toBe(false);
    expect(out.list[0].disposed).toBe(false);
    // p, kept, y, list[0] (plus fills made for the scalar operands, which tidy freed)
    expect(be.memory().live).toBe(live0 + 3);
    for (const t of [kept, out.y, out.list[0], p]) t.dispose();
    expect(be.memory().live).toBe(live0 - 1);
  });

  test("nested tidy hands a returned tensor to the enclosing scope, which then disposes it", () => {
    let inner!: Tensor;
    tidy(() => {
      inner = tidy(() => mul(Tensor.fromArray([1, 2], [2], opts), 3));
      expect(inner.disposed).toBe(false);
      return null;
    });
    expect(inner.disposed).toBe(true);
  });

  test("noGrad records no graph", async () => {
    const p = Tensor.fromArray([1, -2], [2], { ...opts, requiresGrad: true });
    const y = noGrad(() => mul(p, p));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(Array.from(await y.data())).toEqual([1, 4]);
    expect(() => sum(y).backward()).toThrow(/does not require grad/);
    // grad mode is back on afterwards
    expect(mul(p, p).node).not.toBeNull();
  });

  test("detach cuts the graph", async () => {
    const p = Tensor.fromArray([1.5, -2, 3], [3], { ...opts, requiresGrad: true });
    const d = p.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.node).toBeNull();
    expect(Array.from(await d.data())).toEqual([1.5, -2, 3]);
    // d(p_detached · p)/dp = p (not 2p)
    sum(mul(d, p)).backward();
    expect(Array.from(await p.grad!.data())).toEqual([1.5, -2, 3]);
  });

  test("gradients accumulate over two backward() calls until zeroGrad", async () => {
    const p = Tensor.fromArray([1, 2, 3], [3], { ...opts, requiresGrad: true });
    const x = Tensor.fromArray([0.5, -1, 4], [3], opts);
    sum(mul(p, x)).backward();
    expect(Array.from(await p.grad!.data())).toEqual([0.5, -1, 4]);
    sum(mul(p, x)).backward();
    expect(Array.from(await p.grad!.data())).toEqual([1, -2, 8]);
    p.zeroGrad();
    expect(p.grad).toBeNull();
    sum(mul(p, x)).backward();
    expect(Array.from(await p.grad!.data())).toEqual([0.5, -1, 4]);
  });

  test("backward on a non-scalar without a gradient throws a clear error; with a gradient it works", async () => {
    const p = Tensor.fromArray([1, 2, 3, 4], [2, 2], { ...opts, requiresGrad: true });
    const y = mul(p, 3);
    expect(() => y.backward()).toThrow(/backward\(\) without a gradient needs a scalar, got shape \[2,2\]/);
    expect(() => y.backward(Tensor.fromArray([1, 1, 1], [3], opts))).toThrow(/gradient shape \[3\] differs/);
    y.backward(Tensor.fromArray([1, 0, -1, 2], [2, 2], opts));
    expect(Array.from(await p.grad!.data())).toEqual([3, 0, -3, 6]);
  });

  test("Optimizer.minimize: zeroGrad, backward and step in one tidy scope, stale gradients cleared first", async () => {
    const X3 = [0.5, -1, 4];
    const lossOf = (p: Tensor) => () => sum(mul(mul(p, p), Tensor.fromArray(X3, [3], opts)));
    // by hand
    const byHand = Tensor.fromArray([1, 2, 3], [3], { ...opts, requiresGrad: true });
    const optA = new SGD([byHand], { lr: 0.1 });
    for (let i = 0; i < 2; i++) {
      tidy(() => {
        optA.zeroGrad();
        lossOf(byHand)().backward();
        optA.step();
      });
    }
    // through minimize, with a stale gradient left on the parameter before each step
    const p = Tensor.fromArray([1, 2, 3], [3], { ...opts, requiresGrad: true });
    const optB = new SGD([p], { lr: 0.1 });
    const values: number[] = [];
    let liveBefore = 0;
    for (let i = 0; i < 2; i++) {
      tidy(() => sum(mul(p, 100)).backward());
      if (i === 1) liveBefore = be.memory().live;
      const loss = optB.minimize(lossOf(p));
      expect(loss.size).toBe(1);
      expect(loss.disposed).toBe(false);
      values.push(await loss.item());
      loss.dispose();
    }
    // the second step's intermediates are gone: what is live is what was live before it (stale grad → new grad)
    expect(be.memory().live).toBe(liveBefore);
    expect(Array.from(await p.data())).toEqual(Array.from(await byHand.data()));
    // loss before the first update: Σ p²·x = 0.5 − 4 + 36
    expect(values[0]).toBeCloseTo(32.5, 5);
    expect(optB.stepCount).toBe(2);
  });

  test("Optimizer.minimize with a loss that is not a scalar throws and leaves the parameters as they were", async () => {
    const p = Tensor.fromArray([1, 2, 3, 4], [2, 2], { ...opts, requiresGrad: true });
    const opt = new SGD([p], { lr: 0.1 });
    const live = be.memory().live;
    expect(() => opt.minimize(() => mul(p, 3))).toThrow(/backward\(\) without a gradient needs a scalar, got shape \[2,2\]/);
    expect(Array.from(await p.data())).toEqual([1, 2, 3, 4]);
    expect(opt.stepCount).toBe(0);
    expect(be.memory().live).toBe(live);
  });

  test("using a disposed tensor throws an error naming it", async () => {
    const p = Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3], { ...opts, requiresGrad: true });
    const y = mul(p, 2);
    y.dispose();
    expect(y.disposed).toBe(true);
    expect(() => add(y, 1)).toThrow(/tensor \[2,3\] was disposed \(made by mul\)/);
    await expect(y.data()).rejects.toThrow(/tensor \[2,3\] was disposed/);
    p.dispose();
    expect(() => p.reshape([6])).toThrow(/tensor \[2,3\] was disposed/);
    y.dispose(); // twice is harmless
  });
});
