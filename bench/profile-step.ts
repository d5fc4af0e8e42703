// Where a PISR training step spends its GPU time: times a few steps, then one step with GPU timestamps
// around every dispatch, summed per kernel.
//   bun bench/profile-step.ts [teacher|student|baseline] [hrPatch=64] [batch=8] [scale=2]
//   bun bench/profile-step.ts infer [lrHeight=270] [lrWidth=480] [scale=4]   (FSRCNN forward, batch 1: B3)

import { Adam, l1Loss, noGrad, sum, Tensor, tidy } from "../engine/index.ts";
import { WebGpuBackend } from "../engine/webgpu/backend.ts";
import { studentLoss, teacherLoss } from "../losses/pisr.ts";
import { type Architecture, PisrModel } from "../models/pisr.ts";

const infer = process.argv[2] === "infer";
const mode = (infer ? "baseline" : (process.argv[2] ?? "teacher")) as Architecture;
const [P, B, S] = infer
  ? [Number(process.argv[3] ?? 270), Number(process.argv[4] ?? 480), Number(process.argv[5] ?? 4)]
  : [Number(process.argv[3] ?? 64), Number(process.argv[4] ?? 8), Number(process.argv[5] ?? 2)];
const be = await WebGpuBackend.create();
const model = new PisrModel(mode, { scale: S }, { backend: be });
const teacher = mode === "student" ? new PisrModel("teacher", { scale: S }, { backend: be }) : null;
const opt = new Adam(model.parameters());
// inputs made once, outside the timed steps (infer: one LR image, P × B; training: B HR patches and their LR)
const hrData = infer ? new Float32Array(0) : Float32Array.from({ length: B * P * P }, Math.random);
const lrData = infer ? Float32Array.from({ length: P * B }, Math.random) : Float32Array.from({ length: B * (P / S) ** 2 }, Math.random);

const inferStep = () => tidy(() => noGrad(() => sum(model.forward(Tensor.fromArray(lrData, [1, 1, P, B], { backend: be })))));
const trainStep = () =>
  tidy(() => {
    const hr = Tensor.fromArray(hrData, [B, 1, P, P], { backend: be });
    const lr = Tensor.fromArray(lrData, [B, 1, P / S, P / S], { backend: be });
    let loss: Tensor;
    if (mode === "teacher") {
      const f = model.features(hr);
      loss = teacherLoss(f.hr, hr, f.encoder!, lr).loss;
    } else if (mode === "student") {
      const target = noGrad(() => teacher!.distilledFeatures(hr));
      const f = model.features(lr);
      const { mu, scale } = model.vid!.estimate(f.distilled);
      loss = studentLoss(f.hr, hr, mu, scale, target).loss;
    } else loss = l1Loss(model.forward(lr), hr);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    return loss;
  });
const step = infer ? inferStep : trainStep;
const run = async () => {
  const l = step();
  await l.item();
  l.dispose();
};

for (let i = 0; i < 2; i++) await run();
const t0 = performance.now();
for (let i = 0; i < 3; i++) await run();
console.log(`${new Date().toISOString().slice(0, 10)} ${be.description}`);
const what = infer ? `inference ×${S}, LR ${P}×${B}, batch 1` : `${mode} ×${S}, HR patch ${P}, batch ${B}`;
console.log(`${what}: ${((performance.now() - t0) / 3).toFixed(0)} ms/step (wall, mean of 3)`);
be.rt.startProfiling();
await run();
const rows = await be.rt.stopProfiling();
console.log(`GPU time of one step: ${rows.reduce((a, r) => a + r.ms, 0).toFixed(1)} ms`);
for (const r of rows) console.log(`  ${r.key.padEnd(28)} ${String(r.count).padStart(4)}× ${r.ms.toFixed(1).padStart(8)} ms`);
be.destroy();
