// PISR's two training stages take the same steps on WebGPU as on the CPU reference: three teacher steps, then
// five student steps (VID loss, frozen teacher), from the same initial weights and data. The LR rows are 16
// wide and the HR rows 32, so every convolution runs the GPU's vec4 kernels (bench/NOTES.md, entries 23–28);
// the losses of all eight steps and the student's final weights must agree. In CI (CI=true) a missing WebGPU
// adapter fails this test; elsewhere it is skipped with a message.

import { expect, test } from "bun:test";
import type { Backend } from "../../engine/backend.ts";
import { Adam, CpuBackend, noGrad, Tensor } from "../../engine/index.ts";
import { WebGpuBackend } from "../../engine/webgpu/backend.ts";
import { studentLoss, teacherLoss } from "../../losses/pisr.ts";
import { PisrModel } from "../../models/pisr.ts";
import { relErr, Rng } from "../engine/util.ts";
import { haveWebGpu } from "../webgpu.ts";

const gpuSkip = !(await haveWebGpu("PISR training agreement on WebGPU"));

const SCALE = 2, BATCH = 4, LR = 16;
const data = new Rng(2020);
const LR_IMAGES = data.uniforms(BATCH * LR * LR, 0, 1);
const HR_IMAGES = data.uniforms(BATCH * LR * LR * SCALE * SCALE, 0, 1);

async function trainBoth(be: Backend): Promise<{ losses: number[]; weights: Float32Array[] }> {
  const opts = { backend: be };
  const teacher = new PisrModel("teacher", { scale: SCALE }, opts);
  const student = new PisrModel("student", { scale: SCALE }, opts);
  const lr = Tensor.fromArray(LR_IMAGES, [BATCH, 1, LR, LR], opts);
  const hr = Tensor.fromArray(HR_IMAGES, [BATCH, 1, LR * SCALE, LR * SCALE], opts);
  const losses: number[] = [];
  const step = async (opt: Adam, lossOf: () => Tensor) => {
    const loss = opt.minimize(lossOf);
    losses.push(await loss.item());
    loss.dispose();
  };
  const teacherOpt = new Adam(teacher.parameters());
  for (let i = 0; i < 3; i++) {
    await step(teacherOpt, () => {
      const f = teacher.features(hr);
      return teacherLoss(f.hr, hr, f.encoder!, lr).loss;
    });
  }
  const studentOpt = new Adam(student.parameters());
  for (let i = 0; i < 5; i++) {
    await step(studentOpt, () => {
      const target = noGrad(() => teacher.features(hr).distilled);
      const f = student.features(lr);
      const { mu, scale } = student.vid!.estimate(f.distilled);
      return studentLoss(f.hr, hr, mu, scale, target, { pdf: "laplace" }).loss;
    });
  }
  const weights = await Promise.all(student.parameters().map(async (p) => Float32Array.from(await p.toArray())));
  for (const t of [lr, hr, ...teacher.parameters(), ...student.parameters()]) t.dispose();
  return { losses, weights };
}

test.skipIf(gpuSkip)("three teacher steps and five student steps: the same losses and student weights on WebGPU as on the CPU", async () => {
  const cpu = await trainBoth(new CpuBackend("float32"));
  const gpu = await WebGpuBackend.create();
  try {
    const onGpu = await trainBoth(gpu);
    expect(onGpu.losses).toHaveLength(8);
    for (let i = 0; i < 8; i++) expect(Math.abs(onGpu.losses[i]! - cpu.losses[i]!) / cpu.losses[i]!, `loss of step ${i + 1}`).toBeLessThan(1e-5);
    // the losses fell: the steps did something
    expect(cpu.losses[2]!).toBeLessThan(cpu.losses[0]!);
    expect(cpu.losses[7]!).toBeLessThan(cpu.losses[3]!);
    cpu.weights.forEach((w, k) => expect(relErr(onGpu.weights[k]!, w), `student parameter ${k}`).toBeLessThan(1e-4));
  } finally {
    gpu.destroy();
  }
}, 120_000);
