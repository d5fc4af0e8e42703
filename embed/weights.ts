/**
 * Seeded random-initialised checkpoints, for demos and tests when no trained weights are at hand. The bytes are
 * exactly what train/models-io.ts `saveModel` writes for a fresh network, plus `untrained: "true"` in the
 * metadata so a UI can say so.
 */
import { CpuBackend } from "../engine/cpu/backend.ts";
import { type Architecture, PisrModel } from "../models/pisr.ts";
import type { ArchName } from "../models/registry.ts";
import { modelHeader } from "../checkpoint/header.ts";
import { encodeSafetensors } from "../checkpoint/safetensors.ts";

export async function randomWeights(scale: number, opts: { seed?: number; architecture?: Architecture; arch?: ArchName } = {}): Promise<Uint8Array> {
  const backend = new CpuBackend("float32");
  const model = new PisrModel(opts.architecture ?? "student", { scale }, { arch: opts.arch, seed: opts.seed ?? 1, backend });
  try {
    return encodeSafetensors(await model.stateDict(), {
      ...modelHeader(model),
      untrained: "true",
      seed: String(opts.seed ?? 1),
    });
  } finally {
    model.dispose();
    backend.destroy();
  }
}
