// Model checkpoints: weights under the official PyTorch state-dict names, with the architecture, scale and
// model configuration in the safetensors header, so a checkpoint alone rebuilds its network.

import type { Backend } from "../engine/backend.ts";
import type { FsrcnnConfig } from "../models/fsrcnn.ts";
import { type Architecture, PisrModel } from "../models/pisr.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";

export async function saveModel(path: string, model: PisrModel, extra: Record<string, string> = {}): Promise<void> {
  await saveCheckpoint(path, await model.stateDict(), {
    format: "pisr-webgpu",
    architecture: model.architecture,
    scale: String(model.config.scale),
    model_config: JSON.stringify(model.config),
    ...extra,
  });
}

export async function loadModel(path: string, backend: Backend, expect?: Architecture): Promise<{ model: PisrModel; metadata: Record<string, string> }> {
  const { tensors, metadata } = await loadCheckpoint(path);
  if (metadata.resume !== undefined) {
    const model = path.replace(/resume\.safetensors$/, "last.safetensors");
    throw new Error(`${path} holds a run's optimizer and sampler state (for --resume), not a model; use ${model === path ? "the run's last.safetensors" : model}`);
  }
  const architecture = metadata.architecture as Architecture | undefined;
  if (!architecture || !["teacher", "student", "baseline"].includes(architecture)) {
    throw new Error(`${path}: no PISR architecture in the checkpoint header (found ${JSON.stringify(architecture)})`);
  }
  if (expect && architecture !== expect) throw new Error(`${path}: expected a ${expect} checkpoint, found a ${architecture}`);
  const config = JSON.parse(metadata.model_config ?? JSON.stringify({ scale: Number(metadata.scale) })) as FsrcnnConfig;
  const model = new PisrModel(architecture, config, { backend });
  try {
    await model.loadStateDict(tensors);
  } catch (e) {
    model.dispose();
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  return { model, metadata };
}
