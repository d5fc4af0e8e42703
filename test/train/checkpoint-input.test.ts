// Checkpoints as users hand them over: bytes from fs.readFileSync (a Node Buffer, whose slice() shares a pool),
// views at odd offsets, ArrayBuffers; weights that diverged to NaN/Inf; a run's resume.safetensors mistaken
// for a model. Each is read correctly or refused with the file named.

import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CpuBackend } from "../../engine/cpu/backend.ts";
import { createUpscaler } from "../../embed/index.ts";
import { PisrModel } from "../../models/pisr.ts";
import { decodeSafetensors, encodeSafetensors, saveCheckpoint } from "../../train/checkpoint.ts";
import { loadModel, saveModel } from "../../train/models-io.ts";

const dir = mkdtempSync(join(tmpdir(), "checkpoint-input-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const backend = new CpuBackend("float32");
const student = new PisrModel("student", { scale: 2 }, { seed: 3, backend });
const path = join(dir, "student.safetensors");
await saveModel(path, student);
const expected = await student.stateDict();

function sameAsSaved(tensors: Map<string, { data: Float32Array }>) {
  expect([...tensors.keys()]).toEqual([...expected.keys()]);
  for (const [name, t] of expected) expect(Array.from(tensors.get(name)!.data)).toEqual(Array.from(t.data));
}

describe("bytes in every shape a caller may have them", () => {
  test("a Node Buffer from readFileSync and from fs.promises.readFile", async () => {
    sameAsSaved(decodeSafetensors(readFileSync(path)).tensors);
    sameAsSaved(decodeSafetensors(await fsp.readFile(path)).tensors);
  });

  test("a view at an odd offset into a larger buffer, and an ArrayBuffer", () => {
    const file = readFileSync(path);
    const big = new Uint8Array(file.length + 7);
    big.set(file, 3);
    sameAsSaved(decodeSafetensors(big.subarray(3, 3 + file.length)).tensors);
    sameAsSaved(decodeSafetensors(new Uint8Array(new Uint8Array(file).buffer)).tensors);
  });

  test("createUpscaler accepts a Buffer, a subarray view and an ArrayBuffer", async () => {
    const file = readFileSync(path);
    const padded = Buffer.concat([Buffer.alloc(5), file]);
    for (const weights of [file, padded.subarray(5), new Uint8Array(file).buffer]) {
      const sr = await createUpscaler({ weights, backend: "cpu" });
      expect(sr.scale).toBe(2);
      const out = await sr.upscale({ width: 3, height: 2, channels: 1, data: new Uint8Array([0, 50, 100, 150, 200, 250]) });
      expect([out.width, out.height]).toEqual([6, 4]);
      sr.dispose();
    }
  });
});

describe("refused, with the file named", () => {
  test("weights holding NaN or Inf", async () => {
    for (const bad of [NaN, Infinity]) {
      const state = await student.stateDict();
      const first = [...state.keys()][1];
      state.get(first)!.data[2] = bad;
      const file = join(dir, `bad-${bad}.safetensors`);
      await saveCheckpoint(file, state, { format: "pisr-webgpu", architecture: "student", scale: "2", model_config: JSON.stringify(student.config) });
      await expect(loadModel(file, backend)).rejects.toThrow(`${file}: parameter "${first}" holds ${bad} at index 2: the weights are not finite`);
      await expect(createUpscaler({ weights: readFileSync(file), backend: "cpu" })).rejects.toThrow("the weights are not finite");
    }
  });

  test("a parameter with the wrong shape", async () => {
    const state = await student.stateDict();
    const [name, t] = [...state.entries()][0];
    state.set(name, { shape: [t.data.length], data: t.data });
    const file = join(dir, "shape.safetensors");
    await saveCheckpoint(file, state, { format: "pisr-webgpu", architecture: "student", scale: "2", model_config: JSON.stringify(student.config) });
    await expect(loadModel(file, backend)).rejects.toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: parameter "${name}": shape`));
  });

  test("a run's resume.safetensors names the model file to use instead", async () => {
    const file = join(dir, "run", "resume.safetensors");
    await saveCheckpoint(file, new Map([["optimizer.0.m", { shape: [1], data: new Float32Array(1) }]]), { resume: "{}", lr: "0.001" });
    await expect(loadModel(file, backend)).rejects.toThrow(`${file} holds a run's optimizer and sampler state (for --resume), not a model; use ${join(dir, "run", "last.safetensors")}`);
  });
});

// keep the encoder import honest: encodeSafetensors must round-trip what decodeSafetensors reads from a Buffer
test("encode → Buffer → decode round trip", () => {
  const bytes = encodeSafetensors(expected, { a: "b" });
  const { tensors, metadata } = decodeSafetensors(Buffer.from(bytes));
  expect(metadata.a).toBe("b");
  sameAsSaved(tensors);
});
