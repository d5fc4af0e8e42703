// The safetensors header of a model checkpoint: what this project writes so a checkpoint alone rebuilds its
// network (checkpoint/layout.ts reads it back, or infers the same from tensor names when it is missing).
// `arch` names the network; an FSRCNN's header leaves it out, so that its files stay byte for byte what they
// were before other networks existed (checkpoint/layout.ts reads a missing `arch` as fsrcnn).

import type { PisrModel } from "../models/pisr.ts";

export function modelHeader(model: PisrModel): Record<string, string> {
  return {
    format: "pisr-webgpu",
    ...(model.arch === "fsrcnn" ? {} : { arch: model.arch }),
    architecture: model.architecture,
    scale: String(model.config.scale),
    model_config: JSON.stringify(model.config),
  };
}
