// PISR's losses (losses/pisr.ts) against values worked out here by hand, in plain JS loops over small arrays
// (no engine op is used for the expected values), following the official losses/loss_factory.py:
//   vid laplace:  b = 0.1·scale + 1e-8,   C·ln(2π)/2 + mean(ln(2b) + |μ − t| / b)
//   vid gaussian: v = 0.001·scale + 1e-8, C·ln(2π)/2 + mean(ln(v)/2 + (μ − t)² / (2v))
//   teacher:      L1(hr′, hr) + λ·L1(encoded, lr)                       (λ = 1e-4)
//   student:      λ1·L1(hr′, hr) + λ2·vid                               (λ1 = 1, λ2 = 1e-6, laplace)
// Exact checks run on the float64 CPU backend (tolerance 1e-12 relative), the float32 backend to 1e-6; the
// gradients with respect to μ and scale are checked against their closed forms and a central difference.

import { describe, expect, test } from "bun:test";
import type { Backend } from "../../engine/backend.ts";
import { CpuBackend, Rng, type Tensor, tensor, tidy } from "../../engine/index.ts";
import { studentLoss, teacherLoss, vidLoss, type VidPdf } from "../../losses/pisr.ts";

const f64 = new CpuBackend("float64");
const f32 = new CpuBackend("float32");
const EPS = 1e-8;
const HALF_LN_2PI = Math.log(2 * Math.PI) / 2;

const rng = new Rng(31337);
const uniform = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + (hi - lo) * rng.next());
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const t = (be: Backend, data: number[], shape: number[], requiresGrad = false): Tensor => tensor(data, shape, { backend: be, requiresGrad });

/** |a − b| ≤ tol·max(|b|, 1e-300) */
function close(got: number, want: number, tol: number, what = ""): void {
  const err = Math.abs(got - want) / Math.max(Math.abs(want), 1e-300);
  if (!(err <= tol)) throw new Error(`${what}: got ${got}, expected ${want} (relative error ${err.toExponential(3)} > ${tol})`);
  expect(err).toBeLessThanOrEqual(tol);
}

// ---- the expected values, by hand

function vidByHand(mu: number[], scale: number[], target: number[], channels: number, pdf: VidPdf): number {
  let sum = 0;
  for (let i = 0; i < mu.length; i++) {
    const d = mu[i] - target[i];
    if (pdf === "laplace") {
      const b = scale[i] * 0.1 + EPS;
      sum += Math.log(2 * b) + Math.abs(d) / b;
    } else {
      const v = scale[i] * 0.001 + EPS;
      sum += Math.log(v) / 2 + (d * d) / (2 * v);
    }
  }
  return channels * HALF_LN_2PI + sum / mu.length;
}

/** ∂vid/∂μᵢ and ∂vid/∂scaleᵢ in closed form */
function vidGradByHand(mu: number[], scale: number[], target: number[], pdf: VidPdf): { dmu: number[]; dscale: number[] } {
  const n = mu.length;
  const dmu: number[] = [], dscale: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = mu[i] - target[i];
    if (pdf === "laplace") {
      const b = scale[i] * 0.1 + EPS;
      dmu.push(Math.sign(d) / b / n);
      dscale.push((0.1 * (1 / b - Math.abs(d) / (b * b))) / n);
    } else {
      const v = scale[i] * 0.001 + EPS;
      dmu.push(d / v / n);
      dscale.push((0.001 * (1 / (2 * v) - (d * d) / (2 * v * v))) / n);
    }
  }
  return { dmu, dscale };
}

function l1ByHand(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

/** mu, scale (> 0, as after softplus), target: shape [N, C, H, W], |μ − t| kept away from 0 (the kink of |·|) */
function vidInputs(shape: number[]) {
  const n = size(shape);
  const target = uniform(n, -1, 1);
  const mu = target.map((v) => v + (rng.next() < 0.5 ? -1 : 1) * (0.01 + 0.3 * rng.next()));
  const scale = uniform(n, 0.05, 3);
  return { mu, scale, target };
}

const PDFS: VidPdf[] = ["laplace", "gaussian"];

describe("vidLoss", () => {
  for (const pdf of PDFS) {
    test(`${pdf}: equals the hand-computed NLL on [2, 3, 2, 5] (float64, 1e-12)`, async () => {
      const shape = [2, 3, 2, 5];
      const { mu, scale, target } = vidInputs(shape);
      const got = await tidy(() => vidLoss(t(f64, mu, shape), t(f64, scale, shape), t(f64, target, shape), pdf).item());
      close(got, vidByHand(mu, scale, target, 3, pdf), 1e-12, pdf);
    });

    test(`${pdf}: float32 backend agrees to 1e-6 on [1, 56, 3, 4]`, async () => {
      const shape = [1, 56, 3, 4];
      const { mu, scale, target } = vidInputs(shape);
      const [m, s, tt] = [mu, scale, target].map((a) => Array.from(Float32Array.from(a))); // the values float32 can hold
      const got = await tidy(() => vidLoss(t(f32, m, shape), t(f32, s, shape), t(f32, tt, shape), pdf).item());
      const want = vidByHand(m, s, tt, 56, pdf);
      close(got, want, 1e-6, pdf);
      // and the part after the constant, to float32 resolution of the total
      expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-6 * Math.abs(want - 56 * HALF_LN_2PI) + 4 * 2 ** -23 * Math.abs(want));
    });

    test(`${pdf}: the constant is C·ln(2π)/2 with C = shape[1], whatever N, H, W (NLL part made exactly 0)`, async () => {
      // μ = t and the scale chosen so that ln(2b) = 0 (laplace, b = ½) or ln(v) = 0 (gaussian, v = 1)
      const s0 = pdf === "laplace" ? (0.5 - EPS) / 0.1 : (1 - EPS) / 0.001;
      for (const shape of [[1, 1, 1, 1], [2, 3, 2, 2], [1, 56, 2, 3], [3, 7, 1, 4]]) {
        const n = size(shape);
        const target = uniform(n, -1, 1);
        const got = await tidy(() => vidLoss(t(f64, target, shape), t(f64, Array(n).fill(s0), shape), t(f64, target, shape), pdf).item());
        close(got, shape[1] * HALF_LN_2PI, 1e-12, `C = ${shape[1]}`);
      }
      expect(HALF_LN_2PI).toBeCloseTo(0.9189385332046727, 15);
    });

    test(`${pdf}: the 1e-8 epsilon keeps scale = 0 finite`, async () => {
      const shape = [1, 2, 1, 3];
      const target = uniform(6, -1, 1);
      const zeros = Array(6).fill(0);
      const exact = await tidy(() => vidLoss(t(f64, target, shape), t(f64, zeros, shape), t(f64, target, shape), pdf).item());
      close(exact, 2 * HALF_LN_2PI + (pdf === "laplace" ? Math.log(2 * EPS) : Math.log(EPS) / 2), 1e-12, "μ = t");
      const mu = target.map((v) => v + 1e-3);
      const off = await tidy(() => vidLoss(t(f64, mu, shape), t(f64, zeros, shape), t(f64, target, shape), pdf).item());
      expect(Number.isFinite(off)).toBe(true);
      close(off, vidByHand(mu, zeros, target, 2, pdf), 1e-9, "μ = t + 1e-3"); // |d|/1e-8: a large, finite value
    });
  }

  test("the scalings: scale 1 means b = 0.1 (laplace) and v = 0.001 (gaussian), one element", async () => {
    const one = (pdf: VidPdf) => tidy(() => vidLoss(t(f64, [0.35], [1, 1, 1, 1]), t(f64, [1], [1, 1, 1, 1]), t(f64, [0.25], [1, 1, 1, 1]), pdf).item());
    close(await one("laplace"), HALF_LN_2PI + Math.log(2 * (0.1 + EPS)) + 0.1 / (0.1 + EPS), 1e-12, "laplace");
    close(await one("gaussian"), HALF_LN_2PI + Math.log(0.001 + EPS) / 2 + 0.01 / (2 * (0.001 + EPS)), 1e-12, "gaussian");
  });

  test("laplace is the default pdf, and an unknown pdf is refused", async () => {
    const shape = [1, 2, 2, 2];
    const { mu, scale, target } = vidInputs(shape);
    const got = await tidy(() => vidLoss(t(f64, mu, shape), t(f64, scale, shape), t(f64, target, shape)).item());
    close(got, vidByHand(mu, scale, target, 2, "laplace"), 1e-12);
    expect(() => tidy(() => vidLoss(t(f64, mu, shape), t(f64, scale, shape), t(f64, target, shape), "cauchy" as VidPdf))).toThrow(/cauchy/);
  });

  for (const pdf of PDFS) {
    test(`${pdf}: ∂/∂μ and ∂/∂scale equal their closed forms (every element) and a central difference (one element)`, async () => {
      const shape = [2, 2, 2, 3];
      const { mu, scale, target } = vidInputs(shape);
      const want = vidGradByHand(mu, scale, target, pdf);
      const muT = t(f64, mu, shape, true), scaleT = t(f64, scale, shape, true);
      try {
        await tidy(async () => {
          vidLoss(muT, scaleT, t(f64, target, shape), pdf).backward();
          const [dmu, dscale] = [Array.from(await muT.grad!.data()), Array.from(await scaleT.grad!.data())];
          for (let i = 0; i < mu.length; i++) {
            close(dmu[i], want.dmu[i], 1e-10, `∂/∂μ[${i}]`);
            close(dscale[i], want.dscale[i], 1e-10, `∂/∂scale[${i}]`);
            // signs: the loss falls as μ moves toward t
            expect(Math.sign(dmu[i])).toBe(Math.sign(mu[i] - target[i]));
          }
          // central differences on element 5, computed from the hand formula (h = 1e-6, float64)
          const h = 1e-6, k = 5;
          const at = (m: number[], s: number[]) => vidByHand(m, s, target, 2, pdf);
          const bump = (a: number[], d: number) => a.map((v, i) => (i === k ? v + d : v));
          const numMu = (at(bump(mu, h), scale) - at(bump(mu, -h), scale)) / (2 * h);
          const numScale = (at(mu, bump(scale, h)) - at(mu, bump(scale, -h))) / (2 * h);
          close(dmu[k], numMu, 1e-6, "central difference ∂/∂μ");
          close(dscale[k], numScale, 1e-6, "central difference ∂/∂scale");
          // and from the engine's own forward
          const eng = async (m: number[], s: number[]) => vidLoss(t(f64, m, shape), t(f64, s, shape), t(f64, target, shape), pdf).item();
          close(dscale[k], ((await eng(mu, bump(scale, h))) - (await eng(mu, bump(scale, -h)))) / (2 * h), 1e-6, "engine central difference ∂/∂scale");
        });
      } finally {
        muT.dispose();
        scaleT.dispose();
      }
    });
  }

  test("a larger scale lowers the loss where |μ − t| is large relative to b, and raises it where small", async () => {
    // laplace: ∂nll/∂b = 1/b − |d|/b²: negative when |d| > b
    const g = vidGradByHand([1, 0.001], [1, 1], [0, 0], "laplace").dscale;
    const muT = t(f64, [1, 0.001], [1, 2, 1, 1]), scaleT = t(f64, [1, 1], [1, 2, 1, 1], true);
    try {
      await tidy(async () => {
        vidLoss(muT, scaleT, t(f64, [0, 0], [1, 2, 1, 1])).backward();
        const d = await scaleT.grad!.data();
        expect(d[0]).toBeLessThan(0);
        expect(d[1]).toBeGreaterThan(0);
        close(d[0], g[0], 1e-12);
        close(d[1], g[1], 1e-12);
      });
    } finally {
      muT.dispose();
      scaleT.dispose();
    }
  });
});

describe("teacherLoss", () => {
  const hrShape = [2, 1, 4, 6], lrShape = [2, 1, 2, 3];
  const pred = uniform(48, 0, 1), hr = uniform(48, 0, 1), enc = uniform(12, -0.2, 1.2), lr = uniform(12, 0, 1);

  test("L1(hr′, hr) + 1e-4·L1(encoded, lr) by default, each term reported unscaled", async () => {
    const [loss, rec, imi] = await tidy(async () => {
      const r = teacherLoss(t(f64, pred, hrShape), t(f64, hr, hrShape), t(f64, enc, lrShape), t(f64, lr, lrShape));
      return [await r.loss.item(), await r.reconstruction.item(), await r.imitation.item()];
    });
    close(rec, l1ByHand(pred, hr), 1e-12, "reconstruction");
    close(imi, l1ByHand(enc, lr), 1e-12, "imitation");
    close(loss, l1ByHand(pred, hr) + 1e-4 * l1ByHand(enc, lr), 1e-12, "loss");
  });

  test("λ is honoured (λ = 0.5, and 0)", async () => {
    for (const lambda of [0.5, 0]) {
      const loss = await tidy(() => teacherLoss(t(f64, pred, hrShape), t(f64, hr, hrShape), t(f64, enc, lrShape), t(f64, lr, lrShape), lambda).loss.item());
      close(loss, l1ByHand(pred, hr) + lambda * l1ByHand(enc, lr), 1e-12, `λ = ${lambda}`);
    }
  });

  test("gradients: sign(hr′ − hr)/N to the output, λ·sign(enc − lr)/n to the encoder output", async () => {
    const p = t(f64, pred, hrShape, true), e = t(f64, enc, lrShape, true);
    try {
      await tidy(async () => {
        teacherLoss(p, t(f64, hr, hrShape), e, t(f64, lr, lrShape), 0.3).loss.backward();
        const [dp, de] = [await p.grad!.data(), await e.grad!.data()];
        pred.forEach((v, i) => close(dp[i], Math.sign(v - hr[i]) / 48, 1e-12, `∂/∂hr′[${i}]`));
        enc.forEach((v, i) => close(de[i], (0.3 * Math.sign(v - lr[i])) / 12, 1e-12, `∂/∂enc[${i}]`));
      });
    } finally {
      p.dispose();
      e.dispose();
    }
  });

  test("mismatched shapes are refused", () => {
    expect(() => tidy(() => teacherLoss(t(f64, pred, hrShape), t(f64, hr, hrShape), t(f64, enc, lrShape), t(f64, lr.slice(0, 6), [1, 1, 2, 3])))).toThrow(/shape/);
  });
});

describe("studentLoss", () => {
  const hrShape = [1, 1, 4, 6], fShape = [1, 3, 2, 3];
  const pred = uniform(24, 0, 1), hr = uniform(24, 0, 1);
  const { mu, scale, target } = vidInputs(fShape);

  test("1·L1 + 1e-6·VID(laplace) by default, each term reported unscaled", async () => {
    const [loss, rec, dist] = await tidy(async () => {
      const r = studentLoss(t(f64, pred, hrShape), t(f64, hr, hrShape), t(f64, mu, fShape), t(f64, scale, fShape), t(f64, target, fShape));
      return [await r.loss.item(), await r.reconstruction.item(), await r.distillation.item()];
    });
    const vid = vidByHand(mu, scale, target, 3, "laplace");
    close(rec, l1ByHand(pred, hr), 1e-12, "reconstruction");
    close(dist, vid, 1e-12, "distillation");
    close(loss, l1ByHand(pred, hr) + 1e-6 * vid, 1e-12, "loss");
  });

  test("λ1, λ2 and the gaussian pdf are honoured", async () => {
    const opts = { lambda1: 0.5, lambda2: 0.01, pdf: "gaussian" as const };
    const loss = await tidy(() =>
      studentLoss(t(f64, pred, hrShape), t(f64, hr, hrShape), t(f64, mu, fShape), t(f64, scale, fShape), t(f64, target, fShape), opts).loss.item());
    close(loss, 0.5 * l1ByHand(pred, hr) + 0.01 * vidByHand(mu, scale, target, 3, "gaussian"), 1e-12);
  });

  test("gradients reach μ and scale scaled by λ2, and the output scaled by λ1", async () => {
    const p = t(f64, pred, hrShape, true), m = t(f64, mu, fShape, true), s = t(f64, scale, fShape, true);
    try {
      await tidy(async () => {
        studentLoss(p, t(f64, hr, hrShape), m, s, t(f64, target, fShape), { lambda1: 2, lambda2: 1e-3 }).loss.backward();
        const want = vidGradByHand(mu, scale, target, "laplace");
        const [dp, dm, ds] = [await p.grad!.data(), await m.grad!.data(), await s.grad!.data()];
        pred.forEach((v, i) => close(dp[i], (2 * Math.sign(v - hr[i])) / 24, 1e-12, `∂/∂hr′[${i}]`));
        mu.forEach((_, i) => {
          close(dm[i], 1e-3 * want.dmu[i], 1e-10, `∂/∂μ[${i}]`);
          close(ds[i], 1e-3 * want.dscale[i], 1e-10, `∂/∂scale[${i}]`);
        });
      });
    } finally {
      p.dispose();
      m.dispose();
      s.dispose();
    }
  });

  test("float32: the official default weights give loss ≈ L1 + 1e-6·VID", async () => {
    const F = (a: number[]) => Array.from(Float32Array.from(a));
    const [pp, hh, mm, ss, tt] = [pred, hr, mu, scale, target].map(F);
    const loss = await tidy(() => studentLoss(t(f32, pp, hrShape), t(f32, hh, hrShape), t(f32, mm, fShape), t(f32, ss, fShape), t(f32, tt, fShape)).loss.item());
    close(loss, l1ByHand(pp, hh) + 1e-6 * vidByHand(mm, ss, tt, 3, "laplace"), 1e-6);
  });
});
