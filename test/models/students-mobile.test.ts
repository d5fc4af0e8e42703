// The PISR students CARN-M and IDN against PyTorch re-declarations of their reference code (nmhkahn/CARN-pytorch
// carn_m.py, yjn870/IDN-pytorch model.py), on the CPU float32 backend and on WebGPU, as students.test.ts does for
// VDSR and CARN. The fixture test/fixtures/models/students_mobile_golden.json was written by
// scripts/fixtures/students_mobile_golden.py: full-size state-dict layouts and parameter counts, and at reduced
// width the weights, an input, the distilled features and output, an L1 loss and every gradient.
// IDN's cases hold the network part only (no bicubic skip: the reference's F.interpolate is not MATLAB's bicubic);
// the skip is checked separately against resizeBicubic.
//
// Tolerance: relative norm error ≤ 1e-5 for values, ≤ 1e-4 for gradients.

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Backend } from "../../engine/backend.ts";
import { l1Loss, resizeBicubic, type Tensor, tensor, tidy } from "../../engine/index.ts";
import { CarnM } from "../../models/carn-m.ts";
import { Idn } from "../../models/idn.ts";
import type { StudentFeatures } from "../../models/student-features.ts";
import { goldenBackends } from "./backends.ts";
import { decode, type Enc, type FullSize, relErr, type StudentCase } from "./fixture-tensors.ts";

const VALUE_TOL = 1e-5;
const GRAD_TOL = 1e-4;
const FIXTURE = join(resolve(dirname(import.meta.path), "..", "fixtures", "models"), "students_mobile_golden.json");

type CarnMCase = StudentCase<{ scale: number; width: number; group: number }>;
type IdnCase = StudentCase<{ scale: number; width: number; d: number }>;
interface Fixture {
  torch: string;
  full: Record<string, FullSize>;
  carnm_x4: CarnMCase;
  carnm_x3: CarnMCase;
  idn_x4: IdnCase;
  idn_x3: IdnCase;
}

const fx = JSON.parse(readFileSync(FIXTURE, "utf8")) as Fixture;
const stateOf = (c: StudentCase<unknown>) => new Map(Object.entries(c.state).map(([k, v]) => [k, decode(v)]));

async function compare(what: string, got: Tensor | null | undefined, ref: Enc, tol: number): Promise<string | null> {
  if (!got) return `${what}: missing`;
  const r = decode(ref);
  if (got.shape.join() !== r.shape.join()) return `${what}: shape [${got.shape}], torch [${r.shape}]`;
  const rel = relErr(await got.toArray(), r.data);
  return rel <= tol ? null : `${what}: relative error ${rel.toExponential(3)} > ${tol}`;
}

const input = (be: Backend, e: Enc, requiresGrad = false): Tensor => {
  const d = decode(e);
  return tensor(d.data, d.shape, { backend: be, requiresGrad });
};

async function layoutOf(m: CarnM | Idn): Promise<[string, number[]][]> {
  return [...(await m.stateDict())].map(([n, v]) => [n, v.shape]);
}

const BACKENDS = await goldenBackends("mobile student golden tests");
const cpu = BACKENDS[0]!.get();

describe("full-size CARN-M and IDN: parameter counts, names and shapes as the PyTorch state dicts", () => {
  for (const scale of [2, 3, 4] as const) {
    const full = fx.full[`carnm_x${scale}`]!;
    test(`CARN-M ×${scale}, group 4: ${full.trainable.toLocaleString("en")} trainable parameters, one shared residual block per cascade`, async () => {
      const m = new CarnM({ scale }, { backend: cpu });
      try {
        expect(m.parameterCount()).toBe(full.trainable);
        if (scale === 4) expect(m.parameterCount()).toBe(294_147);
        expect(await layoutOf(m)).toEqual(full.stateDict);
        expect(full.stateDictValues - full.trainable).toBe(24); // the frozen mean shifts
        expect(full.stateDict.some(([n]) => /^b\d\.b[23]\./.test(n))).toBe(false);
      } finally {
        m.dispose();
      }
    });
    const idn = fx.full[`idn_x${scale}`]!;
    test(`IDN ×${scale} (Y channel): 552,769 parameters`, async () => {
      const m = new Idn({ scale }, { backend: cpu });
      try {
        expect(m.parameterCount()).toBe(552_769);
        expect(idn.trainable).toBe(552_769);
        expect(await layoutOf(m)).toEqual(idn.stateDict);
      } finally {
        m.dispose();
      }
    });
  }
});

/** Loads the case's weights (strict), runs `features` on its input, compares features, loss and every gradient. */
async function goldenCase(b: Backend, model: CarnM | Idn, c: StudentCase<unknown>, features: (x: Tensor) => StudentFeatures): Promise<void> {
  try {
    await model.loadStateDict(stateOf(c));
    const problems = await tidy(async () => {
      const x = input(b, c.input, true);
      const f = features(x);
      const loss = l1Loss(f.hr, input(b, c.target));
      const lossRel = Math.abs((await loss.item()) - c.loss) / c.loss;
      const out = [
        await compare("distilled features", f.distilled, c.outputs.distilled, VALUE_TOL),
        await compare("hr", f.hr, c.outputs.hr, VALUE_TOL),
        lossRel <= VALUE_TOL ? null : `L1 loss: relative error ${lossRel}`,
      ];
      model.zeroGrad();
      loss.backward();
      const params = new Map(model.namedParameters());
      expect([...params.keys()].sort()).toEqual(Object.keys(c.grads).sort());
      for (const [name, g] of Object.entries(c.grads)) out.push(await compare(`∂loss/∂${name}`, params.get(name)?.grad, g, GRAD_TOL));
      out.push(await compare("∂loss/∂input", x.grad, c.inputGrad, GRAD_TOL));
      x.zeroGrad();
      model.zeroGrad();
      return out;
    });
    const bad = problems.filter((p): p is string => p !== null);
    if (bad.length) throw new Error(bad.join("\n"));
  } finally {
    model.dispose();
  }
}

for (const be of BACKENDS) {
  const t = test.skipIf(be.skip);
  describe(`${be.name}: CARN-M and IDN vs their PyTorch references (torch ${fx.torch})`, () => {
    for (const key of ["carnm_x4", "carnm_x3"] as const) {
      const c = fx[key];
      t(`CARN-M ×${c.config.scale} (width ${c.config.width}, group ${c.config.group}) on LR [${c.input.shape}]: features, output, gradients (shared weights accumulate)`, async () => {
        const m = new CarnM(c.config, { backend: be.get() });
        await goldenCase(be.get(), m, c, (x) => m.features(x));
      });
    }
    for (const key of ["idn_x4", "idn_x3"] as const) {
      const c = fx[key];
      t(`IDN ×${c.config.scale} (width ${c.config.width}, d ${c.config.d}) on LR [${c.input.shape}]: network features, output, gradients`, async () => {
        const m = new Idn(c.config, { backend: be.get() });
        await goldenCase(be.get(), m, c, (x) => m.networkFeatures(x));
      });
    }
  });
}

describe("IDN's bicubic skip", () => {
  test("hr is the network's residual plus the MATLAB-bicubic upscaled LR image, at exactly scale·H × scale·W", async () => {
    const m = new Idn({ scale: 3, width: 16, d: 4 }, { backend: cpu, seed: 1 });
    try {
      await tidy(async () => {
        const lr = tensor(Float32Array.from({ length: 2 * 5 * 4 }, (_, i) => (i * 37) % 11 / 11), [2, 1, 5, 4], { backend: cpu });
        const f = m.features(lr);
        expect(f.hr.shape).toEqual([2, 1, 15, 12]);
        const want = await resizeBicubic(lr, 3).toArray(), res = await f.residual.toArray(), hr = await f.hr.toArray();
        expect(hr).toEqual(Float32Array.from(want, (v, i) => v + res[i]!));
      });
    } finally {
      m.dispose();
    }
  });
});
