// The PISR students VDSR and CARN against PyTorch re-declarations of their reference code (twtygqyy/pytorch-vdsr,
// nmhkahn/CARN-pytorch), on the CPU float32 backend and on WebGPU. The fixture test/fixtures/models/
// students_golden.json was written by scripts/fixtures/students_golden.py (torch, float32, CPU):
//   - at full size, the state-dict names and shapes and the trainable parameter counts;
//   - at reduced width/depth (full sizes would make a many-MB fixture), weights under their reference names, an
//     input, the distilled features and output, an L1 loss against a fixed target and its gradient for every
//     parameter and for the input.
// Weights go in with a strict loadStateDict, so a renamed, missing or extra parameter fails here too.
//
// Tolerance: relative norm error ‖ours − torch‖ / ‖torch‖ ≤ 1e-5 for values, ≤ 1e-4 for gradients. In CI
// (CI=true) a missing WebGPU adapter fails the WebGPU cases; elsewhere they are skipped with a message.

import { afterAll, describe, expect, test } from "bun:test";
import { goldenBackends } from "./backends.ts";
import { decode, type Enc, type FullSize, relErr, type StudentCase } from "./fixture-tensors.ts";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Backend } from "../../engine/backend.ts";
import { l1Loss, resizeBicubic, type Tensor, tensor, tidy } from "../../engine/index.ts";
import { Carn } from "../../models/carn.ts";
import type { StudentFeatures } from "../../models/student-features.ts";
import { Vdsr } from "../../models/vdsr.ts";

const VALUE_TOL = 1e-5;
const GRAD_TOL = 1e-4;
const FIXTURE = join(resolve(dirname(import.meta.path), "..", "fixtures", "models"), "students_golden.json");

type VdsrCase = StudentCase<{ width: number; depth: number; bias: boolean }>;
type CarnCase = StudentCase<{ scale: number; width: number }>;
interface Fixture {
  torch: string;
  full: Record<"vdsr_nobias" | "vdsr_bias" | "carn_x2" | "carn_x3" | "carn_x4", FullSize>;
  vdsr_nobias: VdsrCase;
  vdsr_bias: VdsrCase;
  carn_x4: CarnCase;
  carn_x3: CarnCase;
  carn_x2: CarnCase;
}

const fx = JSON.parse(readFileSync(FIXTURE, "utf8")) as Fixture;
const stateOf = (c: StudentCase<unknown>) => new Map(Object.entries(c.state).map(([k, v]) => [k, decode(v)]));

/** worst relative error per backend and kind, printed at the end */
const worst = new Map<string, { rel: number; what: string }>();
afterAll(() => {
  const lines = [...worst].map(([k, v]) => `  ${k.padEnd(16)} rel ${v.rel.toExponential(2)} (${v.what})`);
  if (lines.length) console.log(`worst student errors vs PyTorch (values ≤ ${VALUE_TOL}, gradients ≤ ${GRAD_TOL}):\n${lines.join("\n")}`);
});

function record(key: string, what: string, rel: number, tol: number): string | null {
  const w = worst.get(key);
  if (!w || !(rel <= w.rel)) worst.set(key, { rel, what });
  return rel <= tol ? null : `${what}: relative error ${rel.toExponential(3)} > ${tol}`;
}

async function compare(key: string, what: string, got: Tensor | null | undefined, ref: Enc, tol: number): Promise<string | null> {
  if (!got) return `${what}: missing`;
  const r = decode(ref);
  if (got.shape.join() !== r.shape.join()) return `${what}: shape [${got.shape}], torch [${r.shape}]`;
  return record(key, what, relErr(await got.toArray(), r.data), tol);
}

function report(problems: (string | null)[]): void {
  const bad = problems.filter((p): p is string => p !== null);
  if (bad.length) throw new Error(bad.join("\n"));
  expect(bad).toEqual([]);
}

const input = (be: Backend, e: Enc, requiresGrad = false): Tensor => {
  const d = decode(e);
  return tensor(d.data, d.shape, { backend: be, requiresGrad });
};

/** [name, shape] of a model's state dict, as PyTorch lists it */
async function layoutOf(m: Vdsr | Carn): Promise<[string, number[]][]> {
  return [...(await m.stateDict())].map(([n, v]) => [n, v.shape]);
}

// ---- backends: the CPU always; WebGPU when there is an adapter (required in CI)

const BACKENDS = await goldenBackends("student golden tests");
const cpu = BACKENDS[0].get();

describe("full-size students: parameter counts, names and shapes as the PyTorch state dicts", () => {
  test("VDSR without biases (twtygqyy): 664,704 parameters, 20 tensors", async () => {
    const m = new Vdsr({ scale: 4, bias: false }, { backend: cpu });
    try {
      expect(m.parameterCount()).toBe(664_704);
      expect(fx.full.vdsr_nobias.trainable).toBe(664_704);
      expect(await layoutOf(m)).toEqual(fx.full.vdsr_nobias.stateDict);
    } finally {
      m.dispose();
    }
  });

  test("VDSR with biases (the paper, the default): 665,921 parameters, 40 tensors", async () => {
    const m = new Vdsr({ scale: 4 }, { backend: cpu });
    try {
      expect(m.parameterCount()).toBe(665_921);
      expect(fx.full.vdsr_bias.trainable).toBe(665_921);
      expect(await layoutOf(m)).toEqual(fx.full.vdsr_bias.stateDict);
    } finally {
      m.dispose();
    }
  });

  for (const scale of [2, 3, 4] as const) {
    const full = fx.full[`carn_x${scale}`];
    test(`CARN ×${scale} single-scale: ${full.trainable.toLocaleString("en")} trainable parameters, state dict with the frozen mean shifts`, async () => {
      const m = new Carn({ scale }, { backend: cpu });
      try {
        expect(m.parameterCount()).toBe(full.trainable);
        if (scale === 4) expect(m.parameterCount()).toBe(1_111_875);
        expect(await layoutOf(m)).toEqual(full.stateDict);
        // the parameters are the state dict less the 4 frozen mean-shift tensors (24 values)
        const params = m.namedParameters().map(([n, p]): [string, number[]] => [n, [...p.shape]]);
        expect(params).toEqual(full.stateDict.filter(([n]) => !/^(sub|add)_mean\./.test(n)));
        expect(full.stateDictValues - full.trainable).toBe(24);
      } finally {
        m.dispose();
      }
    });
  }

  test("VDSR initialisation is twtygqyy's: weights N(0, 2 / (3·3·out)), from the seeded Rng", async () => {
    const a = new Vdsr({ scale: 2, bias: false }, { backend: cpu, seed: 7 });
    const b = new Vdsr({ scale: 2, bias: false }, { backend: cpu, seed: 7 });
    try {
      const stats = async (t: Tensor) => {
        const d = await t.toArray();
        const mean = d.reduce((s, v) => s + v, 0) / d.length;
        return { mean, std: Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / d.length) };
      };
      const hidden = await stats(a.residualLayer.layers[5]!.parameters()[0]!); // 36,864 draws
      expect(Math.abs(hidden.mean)).toBeLessThan(0.002);
      expect(hidden.std / Math.sqrt(2 / (9 * 64))).toBeCloseTo(1, 1);
      const out = await stats(a.output.weight); // 576 draws
      expect(out.std / Math.sqrt(2 / 9)).toBeCloseTo(1, 0);
      expect(await a.input.weight.toArray()).toEqual(await b.input.weight.toArray());
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});

describe("state dicts move to and from PyTorch", () => {
  test("VDSR: a bias-less model rejects the paper's biases and the reverse (strict)", async () => {
    const m = new Vdsr({ scale: 2, ...fx.vdsr_nobias.config }, { backend: cpu });
    try {
      await expect(m.loadStateDict(stateOf(fx.vdsr_bias))).rejects.toThrow(/bias|shape|no entry/);
      const withBias = new Vdsr({ scale: 2, ...fx.vdsr_bias.config }, { backend: cpu });
      try {
        await expect(withBias.loadStateDict(stateOf(fx.vdsr_bias))).resolves.toBeUndefined();
        const noBias = stateOf(fx.vdsr_bias);
        for (const k of [...noBias.keys()]) if (k.endsWith(".bias")) noBias.delete(k);
        await expect(withBias.loadStateDict(noBias)).rejects.toThrow(/input\.bias|residual_layer\.0\.conv\.bias/);
      } finally {
        withBias.dispose();
      }
    } finally {
      m.dispose();
    }
  });

  test("CARN: loads the reference state dict, gives it back unchanged, and refuses another mean shift", async () => {
    const c = fx.carn_x3;
    const m = new Carn(c.config, { backend: cpu });
    try {
      const reference = stateOf(c);
      await m.loadStateDict(reference);
      const back = await m.stateDict();
      expect([...back.keys()]).toEqual([...reference.keys()]);
      for (const [name, v] of reference) expect(back.get(name)!.data).toEqual(v.data);
      // our own checkpoints may drop the constant entries
      const withoutShift = stateOf(c);
      for (const k of [...withoutShift.keys()]) if (k.includes("_mean.")) withoutShift.delete(k);
      await m.loadStateDict(withoutShift);
      const otherMean = stateOf(c);
      otherMean.set("add_mean.shifter.bias", { shape: [3], data: Float32Array.of(0.5, 0.5, 0.5) });
      await expect(m.loadStateDict(otherMean)).rejects.toThrow(/add_mean\.shifter\.bias/);
      const extra = stateOf(c);
      extra.set("upsample.up2.body.0.weight", { shape: [1], data: new Float32Array(1) });
      await expect(m.loadStateDict(extra)).rejects.toThrow(/upsample\.up2/);
    } finally {
      m.dispose();
    }
  });
});

/** Loads the case's weights, runs `features` on its input, and compares features, loss and every gradient. */
async function goldenCase<C>(
  be: { name: string; get: () => Backend },
  model: Vdsr | Carn,
  c: StudentCase<C>,
  features: (x: Tensor) => StudentFeatures,
): Promise<void> {
  const b = be.get();
  try {
    await model.loadStateDict(stateOf(c)); // strict: every name on both sides
    report(await tidy(async () => {
      const x = input(b, c.input, true);
      const f = features(x);
      const loss = l1Loss(f.hr, input(b, c.target));
      const problems = [
        await compare(`${be.name} values`, "distilled features", f.distilled, c.outputs.distilled, VALUE_TOL),
        await compare(`${be.name} values`, "hr", f.hr, c.outputs.hr, VALUE_TOL),
        record(`${be.name} values`, "L1 loss", Math.abs((await loss.item()) - c.loss) / c.loss, VALUE_TOL),
      ];
      model.zeroGrad();
      loss.backward();
      const params = new Map(model.namedParameters());
      expect([...params.keys()].sort()).toEqual(Object.keys(c.grads).sort());
      for (const [name, g] of Object.entries(c.grads)) problems.push(await compare(`${be.name} gradients`, `∂loss/∂${name}`, params.get(name)?.grad, g, GRAD_TOL));
      problems.push(await compare(`${be.name} gradients`, "∂loss/∂input", x.grad, c.inputGrad, GRAD_TOL));
      x.zeroGrad();
      model.zeroGrad();
      return problems;
    }));
  } finally {
    model.dispose();
  }
}

for (const be of BACKENDS) {
  const t = test.skipIf(be.skip);

  describe(`${be.name}: students vs their PyTorch references (torch ${fx.torch})`, () => {
    for (const key of ["vdsr_nobias", "vdsr_bias"] as const) {
      const c = fx[key];
      t(`VDSR ${key.slice(5)} (width ${c.config.width}, ${c.config.depth} hidden layers) on upscaled [${c.input.shape}]: features, output, gradients`, async () => {
        const m = new Vdsr({ scale: 2, ...c.config }, { backend: be.get() });
        await goldenCase(be, m, c, (x) => m.featuresOfUpscaled(x));
      });
    }

    for (const key of ["carn_x4", "carn_x3", "carn_x2"] as const) {
      const c = fx[key];
      t(`CARN ×${c.config.scale} (width ${c.config.width}) on LR [${c.input.shape}]: features, output, gradients`, async () => {
        const m = new Carn(c.config, { backend: be.get() });
        await goldenCase(be, m, c, (x) => m.features(x));
      });
    }
  });
}

describe("VDSR from the LR image", () => {
  test("upscales by MATLAB bicubic to scale·H × scale·W, and the gradient reaches the LR image", async () => {
    const m = new Vdsr({ scale: 3, width: 8, depth: 2 }, { backend: cpu, seed: 1 });
    try {
      await tidy(async () => {
        const lr = tensor(Float32Array.from({ length: 2 * 5 * 4 }, (_, i) => (i * 37) % 11 / 11), [2, 1, 5, 4], { backend: cpu, requiresGrad: true });
        const f = m.features(lr);
        expect(f.upscaled.shape).toEqual([2, 1, 15, 12]);
        expect(f.distilled.shape).toEqual([2, 8, 15, 12]);
        expect(await f.upscaled.toArray()).toEqual(await resizeBicubic(lr, 3).toArray());
        expect(await f.hr.toArray()).toEqual(await m.featuresOfUpscaled(resizeBicubic(lr, 3)).hr.toArray());
        l1Loss(f.hr, tensor(new Float32Array(2 * 15 * 12), [2, 1, 15, 12], { backend: cpu })).backward();
        expect(lr.grad?.shape).toEqual([2, 1, 5, 4]);
        expect((await lr.grad!.toArray()).some((v) => v !== 0)).toBe(true);
        lr.zeroGrad();
        m.zeroGrad();
      });
    } finally {
      m.dispose();
    }
  });
});
