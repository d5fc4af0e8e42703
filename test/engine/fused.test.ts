// Fused ops against the ops they replace. conv2dPrelu (also grouped): the same numbers as prelu(conv2d(…)) on both backends;
// one kernel and no graph when no gradient is recorded, the two recorded ops (the same gradients, for every
// operand) otherwise; and nn.Sequential.fusingConvPrelu(Conv2d, PReLU) uses it (a plain Sequential does not). nllLoss (the VID loss): the same value and
// gradients as the composed elementwise ops, in fewer dispatches.

import { describe, expect, test } from "bun:test";
import type { Backend } from "../../engine/backend.ts";
import {
  abs, add, conv2d, conv2dPrelu, CpuBackend, div, log, mean, mul, nllLoss, nn, noGrad, prelu, Rng, square, sub, sum, Tensor, tidy,
} from "../../engine/index.ts";
import { WebGpuBackend } from "../../engine/webgpu/backend.ts";
import { maxAbsDiff, relErr, Rng as DataRng, webGpuForFile } from "./util.ts";

const { skip, gpu } = await webGpuForFile("fused conv + PReLU tests");
const data = new DataRng(4242);
const X = data.normals(2 * 3 * 9 * 11);
const Wt = data.normals(5 * 3 * 3 * 3, 0.3);
const B = data.normals(5);
const SLOPES = { shared: [0.25], perChannel: [0.1, -0.3, 0.5, 0.0, 0.7] };

function operands(be: Backend, slopes: number[], requiresGrad: boolean) {
  const opts = { backend: be, requiresGrad };
  return {
    x: Tensor.fromArray(X, [2, 3, 9, 11], opts),
    w: Tensor.fromArray(Wt, [5, 3, 3, 3], opts),
    b: Tensor.fromArray(B, [5], opts),
    a: Tensor.fromArray(slopes, [slopes.length], opts),
  };
}

const backends: [string, () => Backend, boolean][] = [
  ["CPU float32", () => new CpuBackend("float32"), false],
  ["WebGPU", () => gpu(), true],
];

for (const [name, backend, needsGpu] of backends) {
  const t = needsGpu && skip ? test.skip : test;
  describe(`conv2dPrelu on ${name}`, () => {
    for (const [kind, slopes] of Object.entries(SLOPES)) {
      t(`${kind} slope: equals prelu(conv2d) without a graph under noGrad, and records the two ops with gradients`, async () => {
        const be = backend();
        const { x, w, b, a } = operands(be, slopes, true);
        const opts = { stride: 2 as const, padding: 1 };
        const [fused, plain] = noGrad(() => [conv2dPrelu(x, w, b, a, opts), prelu(conv2d(x, w, b, opts), a)]);
        expect(fused!.requiresGrad, "no graph under noGrad").toBe(false);
        expect(fused!.shape).toEqual([2, 5, 5, 6]);
        const [f, p] = [await fused!.toArray(), await plain!.toArray()];
        expect(relErr(f, p), "fused = unfused").toBeLessThan(1e-6);
        expect(f.some((v) => v < 0) && f.some((v) => v > 0), "both sides of the PReLU are exercised").toBe(true);
        if (be instanceof WebGpuBackend) {
          const before = be.rt.counters.dispatches;
          noGrad(() => conv2dPrelu(x, w, b, a, opts)).dispose();
          expect(be.rt.counters.dispatches - before, "one kernel under noGrad").toBe(1);
        }

        // with gradients recorded: the same values and the unfused ops' gradients, for every operand (through a
        // weighted sum, so that the upstream gradient is not uniform). The forward is still one kernel, which
        // writes the pre-activation too; the bias and slope gradients are summed in the PReLU's backward pass, in
        // another order than the unfused ops' (bench/NOTES.md, entry 46).
        if (be instanceof WebGpuBackend) {
          const before = be.rt.counters.dispatches;
          tidy(() => conv2dPrelu(x, w, b, a, opts));
          expect(be.rt.counters.dispatches - before, "one kernel with a graph too").toBe(1);
        }
        const weights = Tensor.fromArray(data.normals(2 * 5 * 5 * 6), [2, 5, 5, 6], { backend: be });
        const grads = async (op: () => Tensor) => {
          for (const p of [x, w, b, a]) p.zeroGrad();
          const out = tidy(() => {
            const y = op();
            sum(mul(y, weights)).backward();
            return y;
          });
          const r = {
            y: await out.toArray(), x: await x.grad!.toArray(), w: await w.grad!.toArray(), b: await b.grad!.toArray(), a: await a.grad!.toArray(),
          };
          out.dispose();
          return r;
        };
        const g1 = await grads(() => conv2dPrelu(x, w, b, a, opts));
        const g2 = await grads(() => prelu(conv2d(x, w, b, opts), a));
        for (const k of ["y", "x", "w"] as const) expect(maxAbsDiff(g1[k], g2[k]), `${k} with gradients`).toBe(0);
        for (const k of ["b", "a"] as const) expect(relErr(g1[k], g2[k]), `${k} with gradients`).toBeLessThan(1e-6);
        weights.dispose();
        for (const v of [x, w, b, a, fused!, plain!]) v.dispose();
      });
    }

    t("grouped (groups 4, per-channel slopes): Sequential.fusingConvPrelu under noGrad gives the unfused result", async () => {
      const be = backend();
      const conv = new nn.Conv2d(8, 12, 3, { padding: 1, stride: 2, groups: 4, rng: new Rng(9), backend: be });
      const act = new nn.PReLU(12, 0.25, { backend: be });
      const seq = nn.Sequential.fusingConvPrelu(conv, act);
      const x = Tensor.fromArray(new DataRng(4343).normals(2 * 8 * 9 * 11), [2, 8, 9, 11], { backend: be });
      const [fused, plain] = noGrad(() => [seq.forward(x), act.forward(conv.forward(x))]);
      const f = await fused!.toArray();
      expect(relErr(f, await plain!.toArray())).toBeLessThan(1e-6);
      expect(f.some((v) => v < 0) && f.some((v) => v > 0), "both sides of the PReLU are exercised").toBe(true);
      for (const v of [x, fused!, plain!]) v.dispose();
      seq.dispose();
    });

    t("Sequential.fusingConvPrelu(Conv2d, PReLU) under noGrad gives the unfused result; a slope count that fits neither is refused", async () => {
      const be = backend();
      const rng = new Rng(7);
      const seq = nn.Sequential.fusingConvPrelu(new nn.Conv2d(3, 5, 3, { padding: 1, rng, backend: be }), new nn.PReLU(5, -0.2, { backend: be }));
      const x = Tensor.fromArray(X, [2, 3, 9, 11], { backend: be });
      const conv = seq.layers[0] as nn.Conv2d, act = seq.layers[1] as nn.PReLU;
      const [fused, plain] = noGrad(() => [seq.forward(x), act.forward(conv.forward(x))]);
      expect(relErr(await fused!.toArray(), await plain!.toArray())).toBeLessThan(1e-6);
      // fusion is asked for, not guessed: a plain Sequential of the same layers runs them one by one
      if (be instanceof WebGpuBackend) {
        const plainSeq = new nn.Sequential(conv, act);
        const count = (m: nn.Module) => {
          const before = be.rt.counters.dispatches;
          noGrad(() => m.forward(x)).dispose();
          return be.rt.counters.dispatches - before;
        };
        expect([count(seq), count(plainSeq)]).toEqual([1, 2]);
      }
      const { w, b } = operands(be, [0.1], false);
      const bad = Tensor.fromArray([0.1, 0.2], [2], { backend: be });
      expect(() => noGrad(() => conv2dPrelu(x, w, b, bad))).toThrow(/2 slopes for 5 output channels/);
      for (const v of [x, fused!, plain!, w, b, bad]) v.dispose();
      seq.dispose();
    });
  });
}

/** The NLL mean written with the elementwise ops, as losses/pisr.ts did before the fused kernel. */
function composedNll(kind: "laplace" | "gaussian", mu: Tensor, scale: Tensor, target: Tensor): Tensor {
  if (kind === "laplace") {
    const b = add(mul(scale, 0.1), 1e-8);
    return mean(add(log(mul(b, 2)), div(abs(sub(mu, target)), b)));
  }
  const v = add(mul(scale, 0.001), 1e-8);
  return mean(add(mul(log(v), 0.5), div(square(sub(mu, target)), mul(v, 2))));
}

for (const [name, backend, needsGpu] of backends) {
  const t = needsGpu && skip ? test.skip : test;
  describe(`nllLoss on ${name}`, () => {
    for (const kind of ["laplace", "gaussian"] as const) {
      t(`${kind}: the composed ops' value and gradients (mu, scale, target), in fewer dispatches`, async () => {
        const be = backend();
        const shape = [2, 5, 7, 3];
        const n = 2 * 5 * 7 * 3;
        const mk = (d: Float32Array) => Tensor.fromArray(d, shape, { backend: be, requiresGrad: true });
        const mu = mk(data.normals(n)), target = mk(data.normals(n)), scale = mk(data.uniforms(n, 0.05, 3));
        const opts = kind === "laplace" ? { a: 0.1, eps: 1e-8 } : { a: 0.001, eps: 1e-8 };
        const run = async (f: () => Tensor) => {
          for (const p of [mu, scale, target]) p.zeroGrad();
          const before = be instanceof WebGpuBackend ? be.rt.counters.dispatches : 0;
          const loss = tidy(() => {
            const l = f();
            l.backward();
            return l;
          });
          const dispatches = be instanceof WebGpuBackend ? be.rt.counters.dispatches - before : 0;
          const r = { loss: await loss.toArray(), mu: await mu.grad!.toArray(), scale: await scale.grad!.toArray(), target: await target.grad!.toArray(), dispatches };
          loss.dispose();
          return r;
        };
        const fused = await run(() => nllLoss(kind, mu, scale, target, opts));
        const composed = await run(() => composedNll(kind, mu, scale, target));
        for (const k of ["loss", "mu", "scale", "target"] as const) expect(relErr(fused[k], composed[k]), `${k}`).toBeLessThan(1e-5);
        if (be instanceof WebGpuBackend) expect(fused.dispatches, "dispatches, fused vs composed").toBeLessThan(composed.dispatches / 2);
        for (const v of [mu, scale, target]) v.dispose();
      });
    }
  });
}
