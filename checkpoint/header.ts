// The safetensors header of a model checkpoint: what this project writes so a checkpoint alone rebuilds its
// network (checkpoint/layout.ts reads it back, or infers the same from tensor names when it is missing).

import type { PisrModel } from "../models/pisr.ts";

export function modelHeader(model: PisrModel): Record<string, string> {
  return {
    format: "pisr-webgpu",
    architecture: model.architecture,
    scale: String(model.config.scale),
    model_config: JSON.stringify(model.config),
  };
}
