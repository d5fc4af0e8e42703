// The distillation terms a student may learn by (losses/pisr.ts, train/distill.ts), against values and
// gradients worked out by hand in plain loops, on the float64 CPU backend:
//   output (L1):  mean |s − t|              ∂/∂s = sign(s − t) / n
//   output (L2):  mean (s − t)²             ∂/∂s = 2 (s − t) / n
//   hint:         mean (r − t)²             ∂/∂r = 2 (r − t) / n   (r: the regressor's output)
//   total:        λ1 · L1(hr′, hr) + λ · term, and reconstruction alone for "none"
// Scalars are compared to 1e-12; gradients to 1e-6 (toArray hands float64 storage back as float32).

import { describe, expect, test } from "bun:test";
import { CpuBackend, Rng, tensor } from "../../engine/index.ts";
import { distilledLoss, hintLoss, outputDistillationLoss } from "../../losses/pisr.ts";

const be = new CpuBackend("float64");
const rng = new Rng(2024);
const values = (n: number) => Array.from({ length: n }, () => rng.next() * 2 - 1);
const shape = [2, 3, 2, 2];
const n = 24;

function check(got: ArrayLike<number>, want: number[], tol = 1e-12): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i])));
}

describe("distillation terms: values and gradients by hand", () => {
  const s = values(n), t = values(n);

  test("output distillation, L1 and L2", async () => {
    for (const norm of ["l1", "l2"] as const) {
      const student = tensor(s, shape, { backend: be, requiresGrad: true });
      const teacher = tensor(t, shape, { backend: be });
      const loss = outputDistillationLoss(student, teacher, norm);
      loss.backward();
      const want = norm === "l1" ? s.reduce((a, v, i) => a + Math.abs(v - t[i]), 0) / n : s.reduce((a, v, i) => a + (v - t[i]) ** 2, 0) / n;
      check([await loss.item()], [want]);
      check(await student.grad!.toArray(), s.map((v, i) => (norm === "l1" ? Math.sign(v - t[i]) : 2 * (v - t[i])) / n), 1e-6);
      // the teacher is a constant target: no gradient reaches it
      expect(teacher.grad).toBeFalsy();
    }
    expect(() => outputDistillationLoss(tensor(s, shape, { backend: be }), tensor(t, shape, { backend: be }), "l3" as "l1")).toThrow('unknown output distillation norm "l3"');
  });

  test("FitNets hint: mean squared error of the regressed features", async () => {
    const r = tensor(s, shape, { backend: be, requiresGrad: true });
    const loss = hintLoss(r, tensor(t, shape, { backend: be }));
    loss.backward();
    check([await loss.item()], [s.reduce((a, v, i) => a + (v - t[i]) ** 2, 0) / n]);
    check(await r.grad!.toArray(), s.map((v, i) => (2 * (v - t[i])) / n), 1e-6);
  });

  test("λ1 · reconstruction + λ · term; reconstruction alone without a term", async () => {
    const hr = values(n), pred = values(n), term = 0.37;
    const p = tensor(pred, shape, { backend: be, requiresGrad: true });
    const l1 = pred.reduce((a, v, i) => a + Math.abs(v - hr[i]), 0) / n;
    const withTerm = distilledLoss(p, tensor(hr, shape, { backend: be }), tensor([term], [1], { backend: be }), 0.5, 2);
    check([await withTerm.loss.item(), await withTerm.reconstruction.item()], [2 * l1 + 0.5 * term, l1]);
    withTerm.loss.backward();
    check(await p.grad!.toArray(), pred.map((v, i) => (2 * Math.sign(v - hr[i])) / n), 1e-6);
    const none = distilledLoss(tensor(pred, shape, { backend: be }), tensor(hr, shape, { backend: be }), null, 0);
    expect("distillation" in none).toBe(false);
    check([await none.loss.item()], [l1]);
  });
});
