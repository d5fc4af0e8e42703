// The model registry (models/registry.ts) behind PisrModel: every architecture builds as teacher, student and
// baseline; a teacher's decoder has exactly the baseline's parameter names and shapes (so a student can start
// from it); a student adds only the VID estimator on its distilled layer, which may map onto a teacher with more
// channels; the forward passes have the shapes each role promises; checkpoints name their architecture and load
// back as the same network; and wrong names fail clearly. CPU backend, tiny images.

import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CpuBackend, noGrad, Tensor, tidy } from "../../engine/index.ts";
import { initialiseFromTeacher, PisrModel } from "../../models/pisr.ts";
import { ARCHITECTURES, archSpec } from "../../models/registry.ts";
import { checkpointLayout } from "../../checkpoint/layout.ts";
import { loadModel, saveModel } from "../../train/models-io.ts";

setDefaultTimeout(120_000);
const backend = new CpuBackend("float32");
const dir = mkdtempSync(join(tmpdir(), "registry-test-"));
afterAll(() => {
  backend.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const shapes = (m: PisrModel, filter: (name: string) => boolean = () => true) =>
  Object.fromEntries(m.namedParameters().filter(([n]) => filter(n)).map(([n, p]) => [n, [...p.shape]]));
const count = (m: PisrModel, filter: (name: string) => boolean = () => true) =>
  m.namedParameters().filter(([n]) => filter(n)).reduce((a, [, p]) => a + p.size, 0);

function image(shape: number[], seed: number): Tensor {
  let a = seed;
  const data = new Float32Array(shape.reduce((x, y) => x * y, 1)).map(() => ((a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 2 ** 32));
  return Tensor.fromArray(data, shape, { backend });
}

async function using<T>(models: PisrModel[], body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } finally {
    for (const m of models) m.dispose();
  }
}

// the counts (×4, single scale; FSRCNN: d 56, s 12, m 4)
const PARAMETERS_X4 = { fsrcnn: 12_644, vdsr: 665_921, idn: 552_769, carn: 1_111_875, "carn-m": 294_147 } as const;

describe.each([...ARCHITECTURES])("%s", (arch) => {
  const spec = archSpec(arch);
  const C = spec.imageChannels(spec.resolve({ scale: 2 }));

  test("baseline at ×4 has the architecture's parameter count", async () => {
    const m = new PisrModel("baseline", { scale: 4 }, { arch, backend, seed: 1 });
    await using([m], async () => {
      expect(m.arch).toBe(arch);
      expect(count(m)).toBe(PARAMETERS_X4[arch]);
    });
  });

  test("the teacher's decoder is the baseline (names, shapes); the student adds only the VID estimator", async () => {
    const [teacher, student, baseline] = (["teacher", "student", "baseline"] as const).map((r) => new PisrModel(r, { scale: 2 }, { arch, backend, seed: 2 }));
    await using([teacher!, student!, baseline!], async () => {
      const decoder = Object.fromEntries(teacher!.decoderParameters().map(([n, p]) => [n, [...p.shape]]));
      expect(decoder).toEqual(shapes(baseline!));
      // the rest is the lcscc encoder: four convs (weights, biases) and three PReLU slopes
      const encoder = Object.keys(shapes(teacher!)).filter((n) => !(n in decoder));
      expect(encoder.length).toBe(11);
      expect(count(teacher!) - count(baseline!)).toBe(56 * C * 25 + 56 + 56 * 56 * 25 + 56 + 12 * 56 * 9 + 12 + C * 12 * 9 + C + 3);
      const layer = spec.distilledLayer;
      const vid = Object.keys(shapes(student!)).filter((n) => !(n in decoder));
      expect(vid.length).toBeGreaterThan(0);
      for (const n of vid) expect(n.startsWith(`vid_module_dict.${layer}_mean.`) || n.startsWith(`vid_module_dict.${layer}_var.`)).toBe(true);
      expect(shapes(student!, (n) => !n.startsWith("vid_module_dict."))).toEqual(shapes(baseline!));
    });
  });

  test("forward shapes: the teacher encodes HR to an LR-sized image and reconstructs it; students upscale LR", async () => {
    const [teacher, student] = (["teacher", "student"] as const).map((r) => new PisrModel(r, { scale: 2 }, { arch, backend, seed: 3 }));
    await using([teacher!, student!], async () => {
      await tidy(async () => {
        const hr = image([2, C, 12, 14], 5), lr = image([2, C, 6, 7], 6);
        const t = noGrad(() => teacher!.features(hr));
        expect(t.encoder!.shape).toEqual([2, C, 6, 7]);
        expect(t.hr.shape).toEqual([2, C, 12, 14]);
        const s = noGrad(() => student!.features(lr));
        expect(s.encoder).toBeUndefined();
        expect(s.hr.shape).toEqual([2, C, 12, 14]);
        expect(s.distilled.shape[1]).toBe(spec.distilledChannels(student!.config));
        expect(s.distilled.shape).toEqual(t.distilled.shape);
        // the distilled features alone are the same values, without the layers after them
        expect(await noGrad(() => teacher!.distilledFeatures(hr)).toArray()).toEqual(await t.distilled.toArray());
        expect(await noGrad(() => student!.distilledFeatures(lr)).toArray()).toEqual(await s.distilled.toArray());
        const { mu, scale } = noGrad(() => student!.vid!.estimate(s.distilled));
        expect(mu.shape).toEqual(t.distilled.shape);
        expect(Math.min(...(await scale.toArray()))).toBeGreaterThan(0); // softplus
      });
    });
  });

  test("a student initialised from the teacher computes the teacher's decoder", async () => {
    const teacher = new PisrModel("teacher", { scale: 2 }, { arch, backend, seed: 4 });
    const student = new PisrModel("student", { scale: 2 }, { arch, backend, seed: 5 });
    await using([teacher, student], async () => {
      await initialiseFromTeacher(student, teacher);
      await tidy(async () => {
        const lr = image([1, C, 6, 5], 7);
        const decoder = (teacher.network as { features(x: Tensor): { hr: Tensor } });
        // FSRCNN's network holds its encoder (official layout): its decoder is reached through the student
        const viaTeacher = arch === "fsrcnn" ? null : await noGrad(() => decoder.features(lr).hr).toArray();
        const viaStudent = await noGrad(() => student.forward(lr)).toArray();
        if (viaTeacher) expect(viaStudent).toEqual(viaTeacher);
        const fresh = new PisrModel("student", { scale: 2 }, { arch, backend, seed: 5 });
        try {
          expect(await noGrad(() => fresh.forward(lr)).toArray()).not.toEqual(viaStudent);
        } finally {
          fresh.dispose();
        }
      });
    });
  });

  test("a checkpoint names its architecture and loads back as the same network", async () => {
    const student = new PisrModel("student", { scale: 3 }, { arch, backend, seed: 6 });
    const path = join(dir, `${arch}-student.safetensors`);
    await saveModel(path, student);
    const { model, metadata } = await loadModel(path, backend, "student");
    await using([student, model], async () => {
      // FSRCNN's header leaves `arch` out: its files stay what they were before the registry
      expect(metadata.arch as string | undefined).toBe(arch === "fsrcnn" ? undefined : arch);
      expect(model.arch).toBe(arch);
      expect(model.config).toEqual(student.config);
      await tidy(async () => {
        const lr = image([1, C, 5, 6], 8);
        expect(await noGrad(() => model.forward(lr)).toArray()).toEqual(await noGrad(() => student.forward(lr)).toArray());
      });
    });
  });
});

describe("differing channels and errors", () => {
  test("a student's VID estimator maps its distilled channels onto a wider teacher's", async () => {
    const student = new PisrModel("student", { scale: 2, width: 32, d: 8 }, { arch: "idn", backend, seed: 1, teacherChannels: 64 });
    await using([student], async () => {
      await tidy(async () => {
        const f = noGrad(() => student.features(image([1, 1, 6, 6], 3)));
        expect(f.distilled.shape).toEqual([1, 32, 6, 6]);
        const { mu, scale } = noGrad(() => student.vid!.estimate(f.distilled));
        expect(mu.shape).toEqual([1, 64, 6, 6]);
        expect(scale.shape).toEqual([1, 64, 6, 6]);
      });
    });
  });

  test("unknown architectures and mismatched teachers are refused by name", async () => {
    expect(() => new PisrModel("baseline", { scale: 2 }, { arch: "srgan" as never, backend })).toThrow(/unknown architecture "srgan".*fsrcnn, vdsr, idn, carn, carn-m/);
    const tensors = new Map([["x", { shape: [1], data: new Float32Array(1) }]]);
    expect(() => checkpointLayout(tensors, { arch: "srgan", architecture: "student" }, { source: "f.safetensors" })).toThrow(/f\.safetensors: unknown arch "srgan"/);
    expect(() => checkpointLayout(tensors, { arch: "vdsr", architecture: "student", scale: "2" }, { source: "g.safetensors" })).toThrow(/g\.safetensors: a vdsr checkpoint needs "model_config"/);
    const teacher = new PisrModel("teacher", { scale: 2 }, { arch: "idn", backend, seed: 1 });
    const student = new PisrModel("student", { scale: 2 }, { arch: "vdsr", backend, seed: 1 });
    await using([teacher, student], async () => {
      await expect(initialiseFromTeacher(student, teacher)).rejects.toThrow(/a vdsr student cannot start from a idn teacher's decoder/);
    });
  });

  test("checkpoints written before `arch` existed load as FSRCNN", () => {
    const layout = checkpointLayout(new Map(), { architecture: "baseline", scale: "4", model_config: JSON.stringify({ scale: 4, channels: 1, d: 56, s: 12, m: 4 }) }, { source: "old" });
    expect(layout).toEqual({ arch: "fsrcnn", architecture: "baseline", config: { scale: 4, channels: 1, d: 56, s: 12, m: 4 } });
  });
});
