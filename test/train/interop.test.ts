// Checkpoint interop with the official PyTorch PISR code, both ways, on fixtures written by
// scripts/fixtures/official_load.py (torch, float32, CPU; the tests need neither Python nor torch):
//   engine → PyTorch: a student written by saveModel loads with load_state_dict(strict=True) into the
//     official FSRCNNStudent; its PyTorch outputs must match ours, and saveModel must write the file again.
//   PyTorch → engine: safetensors files without this project's header (teacher, student, a student without its
//     VID estimator, baseline) load with the architecture and config inferred from names and shapes. (A student
//     without its estimator has a baseline's names: only a header saying "student" tells them apart.)
//   scripts/convert_pth.py: an official .pth converted writes the very bytes saveModel would.
// Tolerance: relative norm error ≤ 1e-5 on the CPU backend.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { CpuBackend, type Tensor, tensor, tidy } from "../../engine/index.ts";
import { createUpscaler, readCheckpoint } from "../../embed/index.ts";
import { PisrModel } from "../../models/pisr.ts";
import { loadCheckpoint, saveCheckpoint } from "../../train/checkpoint.ts";
import { loadModel, saveModel } from "../../train/models-io.ts";

const FIXTURES = resolve(dirname(import.meta.path), "..", "fixtures", "train");
const REL_TOL = 1e-5;

interface Enc {
  shape: number[];
  b64: string;
}
interface Headerless {
  file: string;
  architecture: "teacher" | "student" | "baseline";
  config: { scale: number; channels: number; d: number; s: number; m: number };
  /** the partial header PyTorch wrote, if any (never model_config) */
  metadata: Record<string, string>;
  keys: string[];
  input: Enc;
  hr: Enc;
}
const fx = JSON.parse(readFileSync(join(FIXTURES, "official_load.json"), "utf8")) as {
  torch: string;
  engine_student: { file: string; metadata: Record<string, string>; keys: string[]; input: Enc; outputs: Record<"hr" | "mu" | "scale", Enc> };
  headerless: Record<string, Headerless>;
  converted: { file: string; metadata: Record<string, string> };
};

const backend = new CpuBackend("float32");
const dir = mkdtempSync(join(tmpdir(), "interop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixture = (file: string) => join(FIXTURES, file);

function decode(e: Enc): { shape: number[]; data: Float32Array } {
  const b = Buffer.from(e.b64, "base64");
  return { shape: e.shape, data: new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) };
}

/** ‖ours − torch‖ / ‖torch‖, with the shapes checked */
async function relErr(got: Tensor, ref: Enc): Promise<number> {
  const r = decode(ref);
  expect(got.shape).toEqual(r.shape);
  const a = await got.toArray();
  let diff = 0, norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - r.data[i]) ** 2;
    norm += r.data[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}

const input = (e: Enc) => {
  const d = decode(e);
  return tensor(d.data, d.shape, { backend });
};

describe(`engine → PyTorch (official FSRCNNStudent, torch ${fx.torch})`, () => {
  const c = fx.engine_student;

  test("a student written by saveModel loaded strictly into the official class: same names, same outputs", async () => {
    const { model, metadata } = await loadModel(fixture(c.file), backend);
    try {
      expect(metadata).toEqual(c.metadata);
      expect([...(await model.stateDict()).keys()]).toEqual(c.keys); // the official state_dict() order
      const errs = await tidy(async () => {
        const f = model.features(input(c.input));
        const { mu, scale } = model.vid!.estimate(f.distilled);
        return [await relErr(f.hr, c.outputs.hr), await relErr(mu, c.outputs.mu), await relErr(scale, c.outputs.scale)];
      });
      for (const e of errs) expect(e).toBeLessThanOrEqual(REL_TOL);
    } finally {
      model.dispose();
    }
  });

  test("saveModel of the loaded student writes the fixture again: names, shapes, header and bytes", async () => {
    const { model } = await loadModel(fixture(c.file), backend);
    const out = join(dir, "resaved.safetensors");
    await saveModel(out, model);
    model.dispose();
    const [a, b] = [await loadCheckpoint(out), await loadCheckpoint(fixture(c.file))];
    expect([...a.tensors].map(([n, t]) => [n, t.shape])).toEqual([...b.tensors].map(([n, t]) => [n, t.shape]));
    expect(a.metadata).toEqual(b.metadata);
    expect(Buffer.compare(readFileSync(out), readFileSync(fixture(c.file)))).toBe(0);
  });
});

describe("PyTorch → engine: safetensors without this project's header", () => {
  for (const [name, c] of Object.entries(fx.headerless)) {
    test(`${name}: a ${c.architecture}, config ${JSON.stringify(c.config)} from names and shapes, PyTorch's output`, async () => {
      // the scale from the header when it has one, else from the caller
      const { model, metadata } = await loadModel(fixture(c.file), backend, undefined, "scale" in c.metadata ? {} : { scale: c.config.scale });
      try {
        expect(metadata).toEqual(c.metadata);
        expect(metadata.model_config).toBeUndefined();
        expect(model.architecture).toBe(c.architecture);
        expect(model.config).toEqual(c.config);
        expect(await tidy(async () => relErr(model.forward(input(c.input)), c.hr))).toBeLessThanOrEqual(REL_TOL);
      } finally {
        model.dispose();
      }
    });
  }

  test("the embedding API reads them too (createUpscaler's scale option as the fallback); the teacher is refused", async () => {
    for (const [name, c] of Object.entries(fx.headerless)) {
      const bytes = new Uint8Array(readFileSync(fixture(c.file)));
      if (c.architecture === "teacher") {
        expect(() => readCheckpoint(bytes, c.config.scale)).toThrow("weights are a teacher checkpoint");
        continue;
      }
      const ck = readCheckpoint(bytes, "scale" in c.metadata ? undefined : c.config.scale);
      expect([name, ck.architecture, ck.config]).toEqual([name, c.architecture, c.config]);
      const up = await createUpscaler({ weights: bytes, scale: c.config.scale, backend });
      const img = await up.upscale({ width: 3, height: 2, channels: 1, data: new Uint8Array([0, 40, 80, 120, 160, 200]) });
      expect([img.width, img.height]).toEqual([3 * c.config.scale, 2 * c.config.scale]);
      up.dispose();
    }
  });

  test("no scale in the header nor from the caller: an error naming the file that says to pass --scale", async () => {
    const file = fixture(fx.headerless.torch_student_x3.file);
    await expect(loadModel(file, backend)).rejects.toThrow(new RegExp(`^${escape(file)}: the checkpoint header does not give the scale.*pass --scale`));
    expect(() => readCheckpoint(new Uint8Array(readFileSync(file)))).toThrow(/^weights: the checkpoint header does not give the scale.*pass --scale/);
    await expect(createUpscaler({ weights: new Uint8Array(readFileSync(file)), backend })).rejects.toThrow(/pass --scale/);
  });

  test("a student without vid_module_dict.* loads for inference, but the trainer's strict load refuses it", async () => {
    const c = fx.headerless.torch_student_novid_x2;
    expect(c.keys.some((k) => k.startsWith("vid_module_dict."))).toBe(false);
    const { model } = await loadModel(fixture(c.file), backend, "student", { scale: 2 });
    model.dispose();
    // the same tensors with no header at all: a baseline's names, so a baseline (the same network)
    const { tensors } = await loadCheckpoint(fixture(c.file));
    const headerless = join(dir, "novid-headerless.safetensors");
    await saveCheckpoint(headerless, tensors);
    const { model: baseline } = await loadModel(headerless, backend, undefined, { scale: 2 });
    expect(baseline.architecture).toBe("baseline");
    baseline.dispose();
    // train/trainer.ts resumes a student with model.loadStateDict (strict): the estimator must be there
    const fresh = new PisrModel("student", c.config, { backend });
    await expect(fresh.loadStateDict(tensors)).rejects.toThrow('state dict has no entry for parameter "vid_module_dict.expanding_mean.0.weight"');
    fresh.dispose();
  });

  test("any other missing or extra tensor is still an error, with the file named", async () => {
    const cases: [string, (t: Map<string, { shape: number[]; data: Float32Array }>) => void, string][] = [
      ["part of the estimator", (t) => t.delete("vid_module_dict.expanding_var.2.bias"), 'state dict has no entry for parameter "vid_module_dict.expanding_var.2.bias"'],
      ["no estimator and a backbone tensor missing", (t) => {
        for (const k of [...t.keys()]) if (k.startsWith("vid_module_dict.")) t.delete(k);
        t.delete("backbone.network.mapping.0.1.weight");
      }, 'state dict has no entry for parameter "backbone.network.mapping.0.1.weight"'],
      ["no estimator and an extra tensor", (t) => {
        for (const k of [...t.keys()]) if (k.startsWith("vid_module_dict.")) t.delete(k);
        t.set("backbone.network.extra.weight", { shape: [1], data: new Float32Array(1) });
      }, 'state dict entry "backbone.network.extra.weight" matches no parameter'],
    ];
    for (const [what, edit, message] of cases) {
      const { tensors } = await loadCheckpoint(fixture(fx.headerless.torch_student_x3.file));
      edit(tensors);
      const file = join(dir, `${what.replaceAll(" ", "-")}.safetensors`);
      await saveCheckpoint(file, tensors);
      await expect(loadModel(file, backend, undefined, { scale: 3 })).rejects.toThrow(`${file}: ${message}`);
    }
    // names that are not PISR's at all
    const bare = join(dir, "bare.safetensors");
    await saveCheckpoint(bare, new Map([["w", { shape: [1], data: new Float32Array(1) }]]));
    await expect(loadModel(bare, backend, undefined, { scale: 2 })).rejects.toThrow(`${bare}: no PISR architecture in the checkpoint header`);
  });
});

describe("scripts/convert_pth.py (an official .pth: {'state_dict'} under DataParallel's 'module.' prefix)", () => {
  test("the converted file has the header saveModel writes, and saveModel reproduces its bytes", async () => {
    const file = fixture(fx.converted.file);
    const { model, metadata } = await loadModel(file, backend);
    expect(metadata).toEqual({ format: "pisr-webgpu", architecture: "student", scale: "2", model_config: JSON.stringify(model.config) });
    expect(fx.converted.metadata).toEqual(metadata);
    const out = join(dir, "converted-resaved.safetensors");
    await saveModel(out, model);
    model.dispose();
    expect(Buffer.compare(readFileSync(out), readFileSync(file))).toBe(0);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
