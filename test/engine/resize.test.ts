// resizeBicubic against image/resize.ts's imresize, itself checked against MATLAB's numbers (test/image/resize.test.ts):
// on the evaluation pipeline's planes of a Set5 image (the HR Y plane shrunk ×1/s, that LR plane enlarged ×s) the
// float32 CPU backend gives imresize's floats bit for bit and WebGPU agrees to float rounding; batches and channels
// are resized plane by plane; the backward is the transpose, ⟨resize(x), y⟩ = ⟨x, resizeᵀ(y)⟩ to rounding; the GPU
// uploads each axis's weights once. Finite differences are in gradcheck.test.ts, GPU = CPU on odd shapes in
// ops-gpu.test.ts. Without the Set5 folder the image tests fail under CI=true and are skipped elsewhere.

import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "../../engine/backend.ts";
import { CpuBackend, mul, resizeBicubic, sum, Tensor, tensor, tidy } from "../../engine/index.ts";
import { toY } from "../../image/color.ts";
import { crop, modcrop } from "../../image/crop.ts";
import { readImage } from "../../image/decode.ts";
import { BENCHMARK_DIR } from "../../image/paths.ts";
import { imresize } from "../../image/resize.ts";
import type { Image } from "../../image/types.ts";
import { IN_CI, maxAbsDiff, Rng, webGpuForFile } from "./util.ts";

const SET5 = join(BENCHMARK_DIR, "Set5");
const haveSet5 = existsSync(SET5);
if (!haveSet5 && !IN_CI) console.warn(`[engine/resize] ${SET5} not found: skipping the tests on Set5 images locally (they fail under CI=true).`);
const onSet5 = haveSet5 || IN_CI ? test : test.skip;

const { skip, gpu } = await webGpuForFile("resizeBicubic on WebGPU");
const onGpu = skip ? test.skip : test;
const cpu = new CpuBackend("float32");
const cpu64 = new CpuBackend("float64");
/** WebGPU's error against imresize on [0, 1] images: a few f32 roundings of the weights and of each sum */
const GPU_TOL = 1e-6;

type Size = number | { height: number; width: number };

/** The image's planes, NCHW [1, C, h, w] order, from its interleaved HWC samples. */
function planes(img: Image): Float32Array {
  const { width: w, height: h, channels: c, data } = img;
  const out = new Float32Array(data.length);
  for (let i = 0; i < w * h; i++) for (let ch = 0; ch < c; ch++) out[ch * w * h + i] = data[i * c + ch];
  return out;
}

/** The op's output for a batch of alike images, read back. */
async function resized(be: Backend, images: Image[], size: Size): Promise<Float32Array> {
  const { width: w, height: h, channels: c } = images[0];
  const x = new Float32Array(images.length * c * h * w);
  images.forEach((img, n) => x.set(planes(img), n * c * h * w));
  return tidy(() => resizeBicubic(tensor(x, [images.length, c, h, w], { backend: be }), size).toArray());
}

/** imresize of each image, as one NCHW batch. */
function reference(images: Image[], size: Size): Float32Array {
  const out = images.map((img) => planes(imresize(img, size)));
  const all = new Float32Array(out.reduce((n, p) => n + p.length, 0));
  out.forEach((p, n) => all.set(p, n * p.length));
  return all;
}

describe("resizeBicubic = imresize on Set5", () => {
  for (const s of [2, 3, 4]) {
    // the evaluation pipeline (image/README.md): LR = imresize(HR Y, 1/s), the bicubic baseline imresize(LR, s)
    const pipeline = () => {
      const hrY = toY(modcrop(readImage(join(SET5, "woman.png")), s));
      return { hrY, lrY: imresize(hrY, 1 / s) };
    };
    onSet5(`woman.png Y plane: ×1/${s} and back ×${s}, float32 CPU bit for bit`, async () => {
      const { hrY, lrY } = pipeline();
      expect(Array.from(await resized(cpu, [hrY], 1 / s))).toEqual(Array.from(lrY.data));
      expect(Array.from(await resized(cpu, [lrY], s))).toEqual(Array.from(imresize(lrY, s).data));
    });
    onGpu(`woman.png Y plane: ×1/${s} and back ×${s}, WebGPU to ${GPU_TOL}`, async () => {
      if (!haveSet5) throw new Error(`${SET5}: benchmark folder not found`);
      const { hrY, lrY } = pipeline();
      expect(maxAbsDiff(await resized(gpu(), [hrY], 1 / s), lrY.data)).toBeLessThanOrEqual(GPU_TOL);
      expect(maxAbsDiff(await resized(gpu(), [lrY], s), imresize(lrY, s).data)).toBeLessThanOrEqual(GPU_TOL);
    });
  }

  // two RGB crops as a batch [2, 3, 47, 61]: every plane of every item resized on its own
  const crops = () => ["bird.png", "woman.png"].map((f) => crop(readImage(join(SET5, f)), 20, 30, 61, 47));
  const sizes: Size[] = [3, 0.4, { height: 20, width: 130 }, { height: 100, width: 30 }]; // the last two: height first, width first
  onSet5(`a batch of RGB images, ${sizes.map((s) => JSON.stringify(s)).join(", ")}: float32 CPU bit for bit`, async () => {
    for (const size of sizes) expect(Array.from(await resized(cpu, crops(), size))).toEqual(Array.from(reference(crops(), size)));
  });
  onGpu(`a batch of RGB images, ${sizes.map((s) => JSON.stringify(s)).join(", ")}: WebGPU to ${GPU_TOL}`, async () => {
    if (!haveSet5) throw new Error(`${SET5}: benchmark folder not found`);
    for (const size of sizes) expect(maxAbsDiff(await resized(gpu(), crops(), size), reference(crops(), size))).toBeLessThanOrEqual(GPU_TOL);
  });

  onSet5("without antialiasing, shrinking ×0.3 and to 50×40: float32 CPU bit for bit", async () => {
    const y = toY(readImage(join(SET5, "head.png")));
    const x = tensor(y.data, [1, 1, y.height, y.width], { backend: cpu });
    for (const size of [0.3, { height: 50, width: 40 }]) {
      const got = await resizeBicubic(x, size, { antialiasing: false }).toArray();
      const want = imresize(y, size, { antialiasing: false }).data;
      expect(Array.from(got)).toEqual(Array.from(want));
    }
  });
});

describe("the backward is the transpose: ⟨resize(x), y⟩ = ⟨x, resizeᵀ(y)⟩", () => {
  const cases: [number[], Size][] = [
    [[2, 3, 11, 7], 2], [[1, 2, 9, 13], 3], [[3, 1, 5, 6], 4], [[2, 2, 30, 17], 1 / 3], [[1, 1, 12, 10], { height: 5, width: 23 }],
  ];
  /** both inner products, resizeᵀ(y) being the gradient of sum(resize(x) ∘ y) */
  const products = (be: Backend, shape: number[], size: Size, rng: Rng) =>
    tidy(async () => {
      const x = Tensor.fromArray(rng.normals(shape.reduce((a, b) => a * b, 1)), shape, { backend: be, requiresGrad: true });
      const out = resizeBicubic(x, size);
      const y = Tensor.fromArray(rng.normals(out.size), out.shape, { backend: be });
      sum(mul(out, y)).backward();
      const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((t, v, i) => t + v * b[i], 0);
      const forward = dot(await out.data(), await y.data()), adjoint = dot(await x.data(), await x.grad!.data());
      x.dispose();
      return { forward, adjoint };
    });
  for (const [shape, size] of cases) {
    test(`x [${shape}] → ${JSON.stringify(size)}, float64 CPU to 1e-13`, async () => {
      const rng = new Rng(shape.length * 100 + shape[2]);
      for (let k = 0; k < 3; k++) {
        const { forward, adjoint } = await products(cpu64, shape, size, rng);
        expect(Math.abs(forward - adjoint) / Math.abs(forward)).toBeLessThanOrEqual(1e-13);
      }
    });
    onGpu(`x [${shape}] → ${JSON.stringify(size)}, WebGPU to 1e-5`, async () => {
      const { forward, adjoint } = await products(gpu(), shape, size, new Rng(shape[3]));
      expect(Math.abs(forward - adjoint) / Math.abs(forward)).toBeLessThanOrEqual(1e-5);
    });
  }
});

describe("resizeBicubic: shapes, errors, memory", () => {
  test("ranks 2, 3 and 4; scalar scales give ceil(scale · size), like imresize", () => {
    expect(resizeBicubic(tensor(new Float32Array(35), [5, 7], { backend: cpu }), 3).shape).toEqual([15, 21]);
    expect(resizeBicubic(tensor(new Float32Array(70), [2, 5, 7], { backend: cpu }), 0.3).shape).toEqual([2, 2, 3]);
    expect(resizeBicubic(tensor(new Float32Array(140), [2, 2, 5, 7], { backend: cpu }), { height: 4, width: 9 }).shape).toEqual([2, 2, 4, 9]);
  });
  test("refuses rank 1, a scale that is not a positive number, a size that is not positive integers", () => {
    const x = tensor(new Float32Array(35), [1, 5, 7], { backend: cpu });
    expect(() => resizeBicubic(tensor([1, 2], [2], { backend: cpu }), 2)).toThrow("input must be [N, C, H, W], [C, H, W] or [H, W], got [2]");
    for (const s of [0, -2, Number.NaN, Infinity]) expect(() => resizeBicubic(x, s)).toThrow("scale must be a positive number");
    for (const size of [{ height: 0, width: 3 }, { height: 2, width: 1.5 }]) expect(() => resizeBicubic(x, size)).toThrow("output size must be positive integers");
  });
  test("a constant image stays constant (the weights of every output sum to 1), enlarged or shrunk", async () => {
    for (const size of [4, 0.35, { height: 3, width: 17 }]) {
      const y = await resizeBicubic(Tensor.full([2, 1, 9, 8], 0.75, { backend: cpu64 }), size).data();
      expect(maxAbsDiff(y, new Float64Array(y.length).fill(0.75))).toBeLessThanOrEqual(1e-15);
    }
  });
  onGpu("WebGPU: each axis's weights are uploaded once; forward and backward leave no storage behind", async () => {
    const be = gpu();
    // sizes no other test uses
    const step = () =>
      tidy(() => {
        const x = Tensor.fromArray(new Rng(5).normals(2 * 19 * 21), [2, 1, 19, 21], { backend: be, requiresGrad: true });
        sum(resizeBicubic(x, 2)).backward();
        x.dispose();
      });
    const live = be.memory().live, tables = be.sparseTables.size;
    step();
    expect(be.sparseTables.size - tables, "height and width, each forward and transposed").toBe(4);
    step();
    expect(be.sparseTables.size - tables, "the second step reuses them").toBe(4);
    expect(be.memory().live).toBe(live);
  });
});
