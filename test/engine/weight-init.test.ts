// Weight initialisation (engine/weight-init.ts) and the activation and upsampling modules: fans as torch computes
// them, He (Kaiming) normal's spread for each option, the layers' `init` option (the default unchanged: PyTorch's
// uniform rule), and nn.ReLU, nn.LeakyReLU and nn.PixelShuffle as the functional ops. Kaiming's statistics against
// torch's own are in golden.test.ts.

import { describe, expect, test } from "bun:test";
import { CpuBackend, leakyRelu, nn, pixelShuffle, relu, Rng, sum, tensor, tidy } from "../../engine/index.ts";

const backend = new CpuBackend("float32");
const { fans, kaimingNormal, uniformFanIn } = nn.init;

function stats(a: Float32Array): { mean: number; std: number } {
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  return { mean, std: Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / (a.length - 1)) };
}

/** Sample mean and std of n draws within five standard errors of N(0, std²). */
function expectNormal(a: Float32Array, std: number): void {
  const s = stats(a);
  expect(Math.abs(s.mean), `mean ${s.mean}`).toBeLessThanOrEqual((5 * std) / Math.sqrt(a.length));
  expect(Math.abs(s.std / std - 1), `std ${s.std} vs ${std}`).toBeLessThanOrEqual(5 / Math.sqrt(2 * a.length));
}

describe("fans, as torch's _calculate_fan_in_and_fan_out", () => {
  test("Conv2d weight [out, in, kh, kw]: fan_in in·kh·kw, fan_out out·kh·kw", () => {
    expect(fans([64, 3, 5, 3])).toEqual({ fanIn: 45, fanOut: 960 });
  });
  test("ConvTranspose2d weight [in, out, kh, kw]: dimension 1 is fan_in's, so out·kh·kw", () => {
    expect(fans([56, 1, 9, 9])).toEqual({ fanIn: 81, fanOut: 56 * 81 });
  });
  test("a 2-D weight, and a refused 1-D one", () => {
    expect(fans([10, 20])).toEqual({ fanIn: 20, fanOut: 10 });
    expect(() => fans([10])).toThrow("at least 2 dimensions");
  });
});

describe("kaimingNormal", () => {
  test("defaults: fan_in, gain √2 (a ReLU follows)", () => expectNormal(kaimingNormal()([64, 64, 3, 3], new Rng(1)), Math.sqrt(2 / 576)));
  test("negative slope 0.2: gain √(2 / 1.04)", () => expectNormal(kaimingNormal({ negativeSlope: 0.2 })([48, 32, 3, 3], new Rng(2)), Math.sqrt(2 / 1.04 / 288)));
  test("fan_out", () => expectNormal(kaimingNormal({ mode: "fan_out" })([16, 64, 3, 3], new Rng(3)), Math.sqrt(2 / 144)));
  test("a ConvTranspose2d weight: fan_in from dimension 1", () => expectNormal(kaimingNormal()([32, 48, 4, 4], new Rng(4)), Math.sqrt(2 / 768)));
  test("the same generator state gives the same values; a non-finite slope is refused", () => {
    expect(kaimingNormal()([8, 4, 3, 3], new Rng(5))).toEqual(kaimingNormal()([8, 4, 3, 3], new Rng(5)));
    expect(() => kaimingNormal({ negativeSlope: NaN })).toThrow("negativeSlope must be finite");
  });
});

describe("the layers' init option", () => {
  test("by default, PyTorch's rule: weight then bias from U(±1/√fan_in), in that order", async () => {
    for (const [m, shape] of [
      [new nn.Conv2d(3, 5, [3, 2], { backend, rng: new Rng(6) }), [5, 3, 3, 2]],
      [new nn.ConvTranspose2d(4, 2, 3, { backend, rng: new Rng(6) }), [4, 2, 3, 3]],
    ] as const) {
      const rng = new Rng(6), n = shape.reduce((a, b) => a * b, 1), { fanIn } = fans(shape);
      expect(await m.weight.toArray()).toEqual(uniformFanIn(rng, n, fanIn));
      expect(await m.bias!.toArray()).toEqual(uniformFanIn(rng, shape[m instanceof nn.Conv2d ? 0 : 1], fanIn));
    }
  });
  test("kaimingNormal for the weight; the bias keeps PyTorch's rule, drawn after it", async () => {
    const conv = new nn.Conv2d(16, 32, 3, { backend, rng: new Rng(7), init: kaimingNormal() });
    const rng = new Rng(7);
    expect(await conv.weight.toArray()).toEqual(kaimingNormal()([32, 16, 3, 3], rng));
    expect(await conv.bias!.toArray()).toEqual(uniformFanIn(rng, 32, 144));
    const deconv = new nn.ConvTranspose2d(8, 4, 4, { backend, rng: new Rng(8), init: kaimingNormal({ negativeSlope: 0.1 }), bias: false });
    expect(await deconv.weight.toArray()).toEqual(kaimingNormal({ negativeSlope: 0.1 })([8, 4, 4, 4], new Rng(8)));
    expect(deconv.bias).toBeNull();
  });
});

describe("nn.ReLU, nn.LeakyReLU and nn.PixelShuffle", () => {
  test("are the functional ops, without parameters", async () => {
    const x = tensor(Array.from({ length: 32 }, (_, i) => Math.sin(i) * 2), [1, 8, 2, 2], { backend });
    const pairs = [
      [new nn.ReLU(), relu(x)],
      [new nn.LeakyReLU(), leakyRelu(x)],
      [new nn.LeakyReLU(0.25), leakyRelu(x, 0.25)],
      [new nn.PixelShuffle(2), pixelShuffle(x, 2)],
    ] as const;
    for (const [m, expected] of pairs) {
      expect(m.parameters()).toEqual([]);
      const y = m.forward(x);
      expect(y.shape).toEqual(expected.shape);
      expect(await y.toArray()).toEqual(await expected.toArray());
    }
    expect(await new nn.LeakyReLU().forward(tensor([-1], [1], { backend })).item()).toBeCloseTo(-0.01, 7);
  });
  test("in a stack of kaiming-initialised convolutions with a pixel shuffle, every parameter gets a gradient", () => {
    const init = kaimingNormal();
    const body = new nn.Sequential(
      new nn.Conv2d(1, 8, 3, { backend, padding: 1, init, rng: new Rng(10) }), new nn.ReLU(),
      new nn.Conv2d(8, 4, 3, { backend, padding: 1, init, rng: new Rng(11) }), new nn.LeakyReLU(0.1), new nn.PixelShuffle(2),
    );
    tidy(() => {
      const x = tensor(Array.from({ length: 36 }, (_, i) => Math.cos(i)), [1, 1, 6, 6], { backend });
      const y = body.forward(x);
      expect(y.shape).toEqual([1, 1, 12, 12]);
      sum(y).backward();
    });
    for (const [name, p] of body.namedParameters()) expect(p.grad, `gradient of ${name}`).not.toBeNull();
    body.dispose();
  });
});
