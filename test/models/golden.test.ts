// Golden tests of the PISR models and losses against PyTorch re-declarations of the official code
// (cvlab-yonsei/PISR), on the CPU float32 backend and on WebGPU. The fixture test/fixtures/models/pisr_golden.json
// was written by scripts/fixtures/pisr_golden.py (torch, float32, CPU): random weights under their official
// state-dict names, inputs, and the outputs of FSRCNN x3, the teacher x2 and the student x2 (with VID), plus the
// official loss values and a few gradients of the student loss. Weights go in by name with a strict
// loadStateDict, so a renamed, missing or extra parameter fails here too.
//
// Tolerance: relative norm error ‖ours − torch‖ / ‖torch‖ ≤ 1e-5. In CI (CI=true) a missing WebGPU adapter
// fails the WebGPU cases; elsewhere they are skipped with a message.

import { afterAll, describe, expect, test } from "bun:test";
import { goldenBackends } from "./backends.ts";
import { decode, type Enc, relErr } from "./fixture-tensors.ts";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Backend } from "../../engine/backend.ts";
import { type Tensor, tensor, tidy } from "../../engine/index.ts";
import { studentLoss, teacherLoss, vidLoss } from "../../losses/pisr.ts";
import { createBaseline, createStudent, createTeacher, type PisrModel } from "../../models/pisr.ts";

const REL_TOL = 1e-5;
const FIXTURE = join(resolve(dirname(import.meta.path), "..", "fixtures", "models"), "pisr_golden.json");

interface Case {
  config: { scale: number };
  state: Record<string, Enc>;
  input: Enc;
  outputs: Record<string, Enc>;
}
interface Fixture {
  torch: string;
  fsrcnn_x3: Case;
  teacher_x2: Case & { lr: Enc; losses: { teacher: { lambda: number; loss: number } } };
  student_x2: Case & {
    hr: Enc;
    teacherExpanding: Enc;
    losses: { vidLaplace: number; vidGaussian: number; student: { lambda1: number; lambda2: number; pdf: "laplace"; loss: number } };
    grads: Record<string, Enc>;
  };
}

const fx = JSON.parse(readFileSync(FIXTURE, "utf8")) as Fixture;
const stateOf = (c: Case) => new Map(Object.entries(c.state).map(([k, v]) => [k, decode(v)]));

/** worst relative error per backend, printed at the end */
const worst = new Map<string, { rel: number; what: string }>();
afterAll(() => {
  const lines = [...worst].map(([k, v]) => `  ${k.padEnd(8)} rel ${v.rel.toExponential(2)} (${v.what})`);
  if (lines.length) console.log(`worst PISR errors vs PyTorch (tolerance rel ≤ ${REL_TOL}):\n${lines.join("\n")}`);
});

async function compare(be: string, what: string, got: Tensor | null | undefined, ref: Enc): Promise<string | null> {
  if (!got) return `${what}: missing`;
  const r = decode(ref);
  if (got.shape.join() !== r.shape.join()) return `${what}: shape [${got.shape}], torch [${r.shape}]`;
  const rel = relErr(await got.toArray(), r.data);
  const w = worst.get(be);
  if (!w || !(rel <= w.rel)) worst.set(be, { rel, what });
  return rel <= REL_TOL ? null : `${what}: relative error ${rel.toExponential(3)} > ${REL_TOL}`;
}

/** float32 spacing at |v| (one unit in the last place) */
const ulp32 = (v: number) => 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23);

/** |got − ref| / scale ≤ 1e-5, after forgiving `slack` absolute (the rounding of a float32 the value came from) */
function compareScalar(be: string, what: string, got: number, ref: number, scale = Math.abs(ref), slack = 0): string | null {
  const rel = Math.max(0, Math.abs(got - ref) - slack) / scale;
  const w = worst.get(be);
  if (!w || !(rel <= w.rel)) worst.set(be, { rel, what });
  return rel <= REL_TOL ? null : `${what}: ${got} vs torch ${ref} (relative error ${rel.toExponential(3)} > ${REL_TOL})`;
}

function report(problems: (string | null)[]): void {
  const bad = problems.filter((p): p is string => p !== null);
  if (bad.length) throw new Error(bad.join("\n"));
  expect(bad).toEqual([]);
}

const input = (be: Backend, e: Enc): Tensor => {
  const d = decode(e);
  return tensor(d.data, d.shape, { backend: be });
};

async function withModel<T>(model: PisrModel, c: Case, fn: (m: PisrModel) => Promise<T>): Promise<T> {
  try {
    await model.loadStateDict(stateOf(c)); // strict: every name on both sides
    return await fn(model);
  } finally {
    model.dispose();
  }
}

// ---- backends: the CPU always; WebGPU when there is an adapter (required in CI)

const BACKENDS = await goldenBackends("PISR golden tests");
const cpu = BACKENDS[0].get();

describe("fixture", () => {
  test(`was written by torch (${fx.torch}) and holds the three models`, () => {
    expect(fx.torch).toBeTruthy();
    expect(Object.keys(fx.fsrcnn_x3.state)).toHaveLength(23);
    expect(Object.keys(fx.teacher_x2.state)).toHaveLength(34);
    expect(Object.keys(fx.student_x2.state)).toHaveLength(33);
  });

  test("strict loadStateDict rejects a missing and an extra official key", async () => {
    const m = createBaseline({ scale: 3 }, { backend: cpu });
    try {
      const missing = stateOf(fx.fsrcnn_x3);
      missing.delete("backbone.network.mapping.3.1.weight");
      await expect(m.loadStateDict(missing)).rejects.toThrow(/mapping\.3\.1\.weight/);
      const extra = stateOf(fx.fsrcnn_x3);
      extra.set("vid_module_dict.expanding_mean.0.bias", { shape: [56], data: new Float32Array(56) });
      await expect(m.loadStateDict(extra)).rejects.toThrow(/expanding_mean/);
      // the teacher's weights do not fit a baseline (encoder keys), nor the baseline's a teacher
      await expect(m.loadStateDict(stateOf(fx.teacher_x2))).rejects.toThrow(/encoder/);
    } finally {
      m.dispose();
    }
  });
});

for (const be of BACKENDS) {
  const t = test.skipIf(be.skip);

  describe(`${be.name}: PISR models vs the official PyTorch code`, () => {
    t(`FSRCNN x3 (baseline) on LR [${fx.fsrcnn_x3.input.shape}] (torch ${fx.torch})`, async () => {
      const b = be.get();
      const c = fx.fsrcnn_x3;
      await withModel(createBaseline(c.config, { backend: b }), c, async (m) => {
        report(await tidy(async () => {
          const f = m.features(input(b, c.input));
          expect(f.encoder).toBeUndefined();
          return [await compare(be.name, "fsrcnn hr", f.hr, c.outputs.hr)];
        }));
      });
    });

    t(`teacher x2 on HR [${fx.teacher_x2.input.shape}]: encoder, expanding, hr, teacher loss`, async () => {
      const b = be.get();
      const c = fx.teacher_x2;
      await withModel(createTeacher(c.config, { backend: b }), c, async (m) => {
        report(await tidy(async () => {
          const hr = input(b, c.input);
          const f = m.features(hr);
          const { loss } = teacherLoss(f.hr, hr, f.encoder!, input(b, c.lr), c.losses.teacher.lambda);
          return [
            await compare(be.name, "teacher encoder", f.encoder, c.outputs.encoder),
            await compare(be.name, "teacher expanding", f.distilled, c.outputs.expanding),
            await compare(be.name, "teacher hr", f.hr, c.outputs.hr),
            compareScalar(be.name, "teacher loss", await loss.item(), c.losses.teacher.loss),
          ];
        }));
      });
    });

    t(`student x2 on LR [${fx.student_x2.input.shape}]: expanding, VID mu/scale, hr, VID and student losses, gradients`, async () => {
      const b = be.get();
      const c = fx.student_x2;
      await withModel(createStudent(c.config, { backend: b }), c, async (m) => {
        report(await tidy(async () => {
          const f = m.features(input(b, c.input));
          const { mu, scale } = m.vid!.estimate(f.distilled);
          const target = input(b, c.teacherExpanding);
          const C = mu.shape[1];
          const constant = (C * Math.log(2 * Math.PI)) / 2;
          const lap = await vidLoss(mu, scale, target, "laplace").item();
          const gau = await vidLoss(mu, scale, target, "gaussian").item();
          const s = c.losses.student;
          const { loss } = studentLoss(f.hr, input(b, c.hr), mu, scale, target, s);
          const problems = [
            await compare(be.name, "student expanding", f.distilled, c.outputs.expanding),
            await compare(be.name, "student VID mu", mu, c.outputs.mu),
            await compare(be.name, "student VID scale", scale, c.outputs.scale),
            await compare(be.name, "student hr", f.hr, c.outputs.hr),
            // the constant C·ln(2π)/2 dominates the VID value; compare the rest to the same tolerance too, less
            // the rounding of the two float32 totals it is recovered from (2 ulp of the total)
            compareScalar(be.name, "VID laplace", lap, c.losses.vidLaplace),
            compareScalar(be.name, "VID laplace − constant", lap - constant, c.losses.vidLaplace - constant, Math.abs(c.losses.vidLaplace - constant), 2 * ulp32(lap)),
            compareScalar(be.name, "VID gaussian", gau, c.losses.vidGaussian),
            compareScalar(be.name, "VID gaussian − constant", gau - constant, c.losses.vidGaussian - constant, Math.abs(c.losses.vidGaussian - constant), 2 * ulp32(gau)),
            compareScalar(be.name, "student loss", await loss.item(), s.loss),
          ];
          m.zeroGrad();
          loss.backward();
          const params = new Map(m.namedParameters());
          for (const [name, g] of Object.entries(c.grads)) problems.push(await compare(be.name, `∂loss/∂${name}`, params.get(name)?.grad, g));
          m.zeroGrad();
          return problems;
        }));
      });
    });
  });
}
