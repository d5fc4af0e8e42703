// Golden tests against PyTorch: conv2d (also grouped), convTranspose2d, prelu, softplus, relu, leakyRelu, pixelShuffle, concat and
// narrow (forward and every gradient) and Adam (parameters after each of 5 steps), on the CPU float32 backend and on
// WebGPU; and kaimingNormal's statistics against kaiming_normal_'s (the random streams differ). The fixtures in
// test/fixtures/engine/ were written by scripts/fixtures/engine_golden.py with torch (float32, CPU); these
// tests read them and never need Python.
//
// Tolerance: every output is compared by relative norm error ‖ours − torch‖ / ‖torch‖ ≤ 1e-5 (float32 has
// ~6e-8 unit roundoff; summation order differs between torch, our loops and our shaders). Failure messages
// also give the largest absolute difference and the first elementwise mismatch.

import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Backend } from "../../engine/backend.ts";
import {
  Adam, concat, conv2d, convTranspose2d, CpuBackend, kaimingNormal, leakyRelu, narrow, pixelShuffle, prelu, relu, Rng, softplus, type Tensor, tensor,
  tidy,
} from "../../engine/index.ts";
import { firstMismatch, maxAbsDiff, relErr, webGpuForFile } from "./util.ts";

const REL_TOL = 1e-5;
const FIXTURES = join(resolve(dirname(import.meta.path), "..", "fixtures", "engine"));

interface Arr {
  shape: number[];
  data: number[];
}
interface Fixture<C> {
  torch: string;
  cases: C[];
}
interface ConvCase {
  name: string;
  stride: [number, number];
  padding: [number, number];
  outputPadding?: [number, number];
  /** conv2d's channel groups, when not 1 */
  groups?: number;
  x: Arr;
  w: Arr;
  b?: Arr;
  dy: Arr;
  y: Arr;
  dx: Arr;
  dw: Arr;
  db?: Arr;
}
interface PreluCase {
  name: string;
  x: Arr;
  slope: Arr;
  dy: Arr;
  y: Arr;
  dx: Arr;
  dslope: Arr;
}
interface SoftplusCase {
  name: string;
  x: Arr;
  dy: Arr;
  y: Arr;
  dx: Arr;
}
/** One input and its gradient: relu, leaky_relu (`slope`, null for torch's default), pixel_shuffle (`r`), narrow. */
interface OneInputCase extends SoftplusCase {
  slope?: number | null;
  r?: number;
  start?: number;
  length?: number;
}
interface CatCase {
  name: string;
  xs: Arr[];
  dy: Arr;
  y: Arr;
  dxs: Arr[];
}
interface KaimingCase {
  name: string;
  shape: number[];
  negativeSlope: number;
  mode: "fan_in" | "fan_out";
  /** gain / √fan from torch's own calculate_gain and fan computation */
  expectedStd: number;
  /** torch's sample statistics */
  mean: number;
  std: number;
}
interface AdamCase {
  name: string;
  options: { lr: number; betas: [number, number]; eps: number; weightDecay: number };
  params: Arr[];
  grads: Arr[][];
  after: Arr[][];
}

function load<C>(name: string): Fixture<C> {
  const fx = JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as Fixture<C>;
  if (!fx.torch || !fx.cases?.length) throw new Error(`${name}: no torch version or no cases`);
  return fx;
}

const cpu = new CpuBackend("float32");
const gpuFile = await webGpuForFile("PyTorch golden tests on WebGPU");
const BACKENDS: { name: string; skip: boolean; get: () => Backend }[] = [
  { name: "cpu", skip: false, get: () => cpu },
  { name: "webgpu", skip: gpuFile.skip, get: gpuFile.gpu },
];

/** worst relative error seen per backend and op, printed at the end */
const worst = new Map<string, { rel: number; abs: number; where: string }>();
afterAll(() => {
  const lines = [...worst].map(([k, v]) => `  ${k.padEnd(26)} rel ${v.rel.toExponential(2)}  max-abs ${v.abs.toExponential(2)}  (${v.where})`);
  if (lines.length) console.log(`worst errors vs PyTorch (tolerance rel ≤ ${REL_TOL}):\n${lines.join("\n")}`);
});

/** Compares one result with torch's; returns a problem description, or null when within tolerance. */
async function compare(key: string, what: string, got: Tensor | null, ref: Arr): Promise<string | null> {
  if (!got) return `${what}: no result (gradient missing?)`;
  if (got.shape.join(",") !== ref.shape.join(",")) return `${what}: shape [${got.shape}], torch [${ref.shape}]`;
  const a = await got.toArray();
  const b = Float32Array.from(ref.data);
  const rel = relErr(a, b), abs = maxAbsDiff(a, b);
  const w = worst.get(key);
  if (!w || !(rel <= w.rel)) worst.set(key, { rel, abs, where: what });
  if (rel <= REL_TOL) return null;
  return `${what}: relative error ${rel.toExponential(3)} > ${REL_TOL}, max-abs ${abs.toExponential(3)}, ${firstMismatch(a, b, REL_TOL)}`;
}

function report(problems: (string | null)[]): void {
  const bad = problems.filter((p): p is string => p !== null);
  if (bad.length) throw new Error(bad.join("\n"));
  expect(bad).toEqual([]);
}

const from = (be: Backend, a: Arr, requiresGrad = false): Tensor => tensor(a.data, a.shape, { backend: be, requiresGrad });

async function runConv(be: Backend, key: string, c: ConvCase, transpose: boolean): Promise<(string | null)[]> {
  const x = from(be, c.x, true), w = from(be, c.w, true), b = c.b ? from(be, c.b, true) : null;
  try {
    return await tidy(async () => {
      const y = transpose
        ? convTranspose2d(x, w, b, { stride: c.stride, padding: c.padding, outputPadding: c.outputPadding })
        : conv2d(x, w, b, { stride: c.stride, padding: c.padding, groups: c.groups });
      const problems = [await compare(key, "y", y, c.y)];
      y.backward(from(be, c.dy));
      problems.push(await compare(key, "dx", x.grad, c.dx), await compare(key, "dw", w.grad, c.dw));
      if (c.b && c.db) problems.push(await compare(key, "db", b!.grad, c.db));
      return problems;
    });
  } finally {
    for (const t of [x, w, b]) t?.dispose();
  }
}

/** y = f(x) against torch, then x's gradient for torch's upstream gradient dy. */
async function runOneInput(be: Backend, key: string, c: OneInputCase, f: (x: Tensor) => Tensor): Promise<(string | null)[]> {
  const x = from(be, c.x, true);
  try {
    return await tidy(async () => {
      const y = f(x);
      const problems = [await compare(key, "y", y, c.y)];
      y.backward(from(be, c.dy));
      problems.push(await compare(key, "dx", x.grad, c.dx));
      return problems;
    });
  } finally {
    x.dispose();
  }
}

const ONE_INPUT_OPS: { file: string; torch: string; f: (c: OneInputCase) => (x: Tensor) => Tensor }[] = [
  { file: "relu.json", torch: "torch.nn.functional.relu", f: () => relu },
  { file: "leaky_relu.json", torch: "torch.nn.functional.leaky_relu", f: (c) => (x) => leakyRelu(x, c.slope ?? undefined) },
  { file: "pixel_shuffle.json", torch: "torch.nn.functional.pixel_shuffle", f: (c) => (x) => pixelShuffle(x, c.r!) },
  { file: "narrow.json", torch: "torch.narrow(x, 1, start, length)", f: (c) => (x) => narrow(x, 1, c.start!, c.length!) },
];

for (const be of BACKENDS) {
  const t = test.skipIf(be.skip);

  for (const op of ONE_INPUT_OPS) {
    describe(`${be.name}: ${op.file.replace(".json", "")} vs ${op.torch}`, () => {
      const fx = load<OneInputCase>(op.file);
      for (const c of fx.cases) {
        t(`${c.name}: x [${c.x.shape}] (torch ${fx.torch})`, async () => {
          report(await runOneInput(be.get(), `${be.name} ${op.file.replace(".json", "")}`, c, op.f(c)));
        });
      }
    });
  }

  describe(`${be.name}: concat vs torch.cat(xs, 1)`, () => {
    const fx = load<CatCase>("cat.json");
    for (const c of fx.cases) {
      t(`${c.name}: ${c.xs.map((x) => `[${x.shape}]`).join(" ")} (torch ${fx.torch})`, async () => {
        const b = be.get(), key = `${be.name} concat`;
        const xs = c.xs.map((x) => from(b, x, true));
        try {
          report(await tidy(async () => {
            const y = concat(xs);
            const problems = [await compare(key, "y", y, c.y)];
            y.backward(from(b, c.dy));
            for (const [k, x] of xs.entries()) problems.push(await compare(key, `dx${k}`, x.grad, c.dxs[k]!));
            return problems;
          }));
        } finally {
          for (const x of xs) x.dispose();
        }
      });
    }
  });

  for (const file of ["conv2d.json", "conv2d_grouped.json"]) {
    describe(`${be.name}: ${file} vs torch.nn.functional.conv2d`, () => {
      const fx = load<ConvCase>(file);
      for (const c of fx.cases) {
        const geo = `stride [${c.stride}] padding [${c.padding}]${c.groups ? ` groups ${c.groups}` : ""}`;
        t(`${c.name}: x [${c.x.shape}] w [${c.w.shape}] ${geo} (torch ${fx.torch})`, async () => {
          report(await runConv(be.get(), `${be.name} ${c.groups ? "grouped conv2d" : "conv2d"}`, c, false));
        });
      }
    });
  }

  describe(`${be.name}: convTranspose2d vs torch.nn.functional.conv_transpose2d`, () => {
    const fx = load<ConvCase>("conv_transpose2d.json");
    for (const c of fx.cases) {
      const geo = `stride [${c.stride}] padding [${c.padding}] outputPadding [${c.outputPadding}]`;
      t(`${c.name}: x [${c.x.shape}] w [${c.w.shape}] ${geo} (torch ${fx.torch})`, async () => {
        report(await runConv(be.get(), `${be.name} convTranspose2d`, c, true));
      });
    }
  });

  describe(`${be.name}: prelu vs torch.nn.PReLU`, () => {
    const fx = load<PreluCase>("prelu.json");
    for (const c of fx.cases) {
      t(`${c.name}: x [${c.x.shape}] slope [${c.slope.shape}] (torch ${fx.torch})`, async () => {
        const b = be.get(), key = `${be.name} prelu`;
        const x = from(b, c.x, true), s = from(b, c.slope, true);
        try {
          report(await tidy(async () => {
            const y = prelu(x, s);
            const problems = [await compare(key, "y", y, c.y)];
            y.backward(from(b, c.dy));
            problems.push(await compare(key, "dx", x.grad, c.dx), await compare(key, "dslope", s.grad, c.dslope));
            return problems;
          }));
        } finally {
          x.dispose();
          s.dispose();
        }
      });
    }
  });

  describe(`${be.name}: softplus vs torch.nn.functional.softplus (beta 1, threshold 20)`, () => {
    const fx = load<SoftplusCase>("softplus.json");
    for (const c of fx.cases) {
      t(`${c.name}: ${c.x.data.length} points (torch ${fx.torch})`, async () => {
        const b = be.get(), key = `${be.name} softplus`;
        const x = from(b, c.x, true);
        try {
          report(await tidy(async () => {
            const y = softplus(x);
            const problems = [await compare(key, "y", y, c.y)];
            y.backward(from(b, c.dy));
            problems.push(await compare(key, "dx", x.grad, c.dx));
            // no element may be far off either (a norm would hide a wrong tail such as y = 0 for x < −17):
            // each within 1e-5 relative, or 1e-30 absolute (denormals may be flushed)
            for (const [what, got, ref] of [["y", await y.toArray(), c.y.data], ["dx", await x.grad!.toArray(), c.dx.data]] as const) {
              ref.forEach((r, i) => {
                if (!(Math.abs(got[i] - r) <= 1e-5 * Math.abs(r) + 1e-30)) problems.push(`${what}[${i}] at x = ${c.x.data[i]}: ${got[i]} vs torch ${r}`);
              });
            }
            return problems;
          }));
        } finally {
          x.dispose();
        }
      });
    }
  });

  describe(`${be.name}: Adam vs torch.optim.Adam`, () => {
    const fx = load<AdamCase>("adam.json");
    for (const c of fx.cases) {
      t(`${c.name}: ${c.params.length} parameters, ${c.grads.length} steps (torch ${fx.torch})`, async () => {
        const b = be.get(), key = `${be.name} Adam`;
        const params = c.params.map((p) => from(b, p, true).keep());
        const opt = new Adam(params, c.options);
        const problems: (string | null)[] = [];
        try {
          for (let k = 0; k < c.grads.length; k++) {
            opt.zeroGrad();
            params.forEach((p, i) => (p.grad = from(b, c.grads[k][i]).keep()));
            opt.step();
            for (let i = 0; i < params.length; i++) problems.push(await compare(key, `step ${k + 1} param ${i}`, params[i], c.after[k][i]));
          }
        } finally {
          opt.dispose();
          for (const p of params) p.dispose();
        }
        report(problems);
      });
    }
  });
}

describe("kaimingNormal vs torch.nn.init.kaiming_normal_: statistics (the random streams differ)", () => {
  const fx = load<KaimingCase>("kaiming_normal.json");
  for (const c of fx.cases) {
    test(`${c.name}: [${c.shape}] (torch ${fx.torch})`, () => {
      const w = kaimingNormal({ negativeSlope: c.negativeSlope, mode: c.mode })(c.shape, new Rng(11));
      const n = w.length;
      const mean = w.reduce((a, v) => a + v, 0) / n;
      const std = Math.sqrt(w.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
      // five standard errors: of a sample mean σ/√n, of a sample std about σ/√(2n)
      const meanTol = (5 * c.expectedStd) / Math.sqrt(n), stdTol = 5 / Math.sqrt(2 * n);
      expect(Math.abs(mean), `our mean ${mean}`).toBeLessThanOrEqual(meanTol);
      expect(Math.abs(std / c.expectedStd - 1), `our std ${std} vs ${c.expectedStd}`).toBeLessThanOrEqual(stdTol);
      // torch's own sample passes the same test, so the expected std is the one torch draws with
      expect(Math.abs(c.mean), `torch's mean ${c.mean}`).toBeLessThanOrEqual(meanTol);
      expect(Math.abs(c.std / c.expectedStd - 1), `torch's std ${c.std} vs ${c.expectedStd}`).toBeLessThanOrEqual(stdTol);
    });
  }
});
