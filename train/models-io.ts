// Model checkpoints: weights under the official PyTorch state-dict names, with the architecture, scale and
// model configuration in the safetensors header, so a checkpoint alone rebuilds its network. Files without
// that header (written from PyTorch) are read too: checkpoint/layout.ts infers what they hold.

import type { Backend } from "../engine/backend.ts";
import { modelHeader } from "../checkpoint/header.ts";
import { checkpointLayout, loadWeights } from "../checkpoint/layout.ts";
import { type Architecture, PisrModel } from "../models/pisr.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";

export async function saveModel(path: string, model: PisrModel, extra: Record<string, string> = {}): Promise<void> {
  await saveCheckpoint(path, await model.stateDict(), { ...modelHeader(model), ...extra });
}

/**
 * `opts.scale` is the fallback for a checkpoint whose header has no scale (the weights cannot tell it). A
 * student without its VID estimator loads for inference (see loadWeights).
 */
export async function loadModel(path: string, backend: Backend, expect?: Architecture, opts: { scale?: number } = {}): Promise<{ model: PisrModel; metadata: Record<string, string> }> {
  const { tensors, metadata } = await loadCheckpoint(path);
  if (metadata.resume !== undefined) {
    const model = path.replace(/resume\.safetensors$/, "last.safetensors");
    throw new Error(`${path} holds a run's optimizer and sampler state (for --resume), not a model; use ${model === path ? "the run's last.safetensors" : model}`);
  }
  const layout = checkpointLayout(tensors, metadata, { source: path, scale: opts.scale });
  if (!layout) throw new Error(`${path}: no PISR architecture in the checkpoint header (found undefined), and no PISR tensor names (backbone.network.…) to infer it from`);
  const { arch, architecture, config } = layout;
  if (expect && architecture !== expect) throw new Error(`${path}: expected a ${expect} checkpoint, found a ${architecture}`);
  let model: PisrModel;
  try {
    model = new PisrModel(architecture, config, { arch, backend });
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  try {
    await loadWeights(model, tensors);
  } catch (e) {
    model.dispose();
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  return { model, metadata };
}
