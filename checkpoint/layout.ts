// Which network a checkpoint holds, and with which configuration. This project's checkpoints say so in their
// safetensors header (arch, architecture, scale, model_config: checkpoint/header.ts); a file written from
// PyTorch with the official PISR state-dict names has no such header, so it is an FSRCNN whose role comes from
// the key set and d, s, m and channels from the tensor shapes. No Node imports: embed/index.ts uses this too.

import type { Architecture, PisrModel } from "../models/pisr.ts";
import { type ArchName, ARCHITECTURES, isArchName, type ModelConfig } from "../models/registry.ts";

type Tensors = Map<string, { shape: number[]; data: ArrayLike<number> }>;

export interface CheckpointLayout {
  /** the network (FSRCNN when the header does not say: the official PISR files and this project's older ones) */
  arch: ArchName;
  /** its role: teacher, student or baseline */
  architecture: Architecture;
  config: ModelConfig;
}

const NET = "backbone.network.";
/** Names of the VID estimator's tensors (training-only: a student loads without them). */
export const ESTIMATOR_PREFIX = "vid_module_dict.";
const FIRST = `${NET}feature_extraction.0.0.weight`;

/**
 * The architecture and configuration of a checkpoint; `null` when it has neither a PISR header nor PISR's
 * tensor names (the caller says what it expected). `scale` is used only when the header has none: the
 * scale is the stride of the last (transposed) convolution, and a state dict does not store strides.
 * Without a header, a student exported without its VID estimator has a baseline's names and loads as one
 * (the same network); only `architecture: "student"` in the header tells them apart.
 */
export function checkpointLayout(tensors: Tensors, metadata: Record<string, string>, opts: { source: string; scale?: number }): CheckpointLayout | null {
  const { source } = opts;
  const fail = (problem: string): never => {
    throw new Error(`${source}: ${problem}`);
  };
  const arch = metadata.arch ?? "fsrcnn";
  if (!isArchName(arch)) fail(`unknown arch ${JSON.stringify(arch)} in the checkpoint header (expected ${ARCHITECTURES.join(", ")})`);
  let architecture = metadata.architecture as Architecture | undefined;
  if (architecture === undefined) {
    if (!tensors.has(FIRST)) return null;
    const names = [...tensors.keys()];
    architecture = names.some((n) => n.startsWith(`${NET}encoder.`)) ? "teacher" : names.some((n) => n.startsWith(ESTIMATOR_PREFIX)) ? "student" : "baseline";
  } else if (!["teacher", "student", "baseline"].includes(architecture)) {
    fail(`unknown architecture ${JSON.stringify(architecture)} in the checkpoint header (expected teacher, student or baseline)`);
  }

  if (metadata.model_config !== undefined) {
    try {
      return { arch: arch as ArchName, architecture, config: JSON.parse(metadata.model_config) as ModelConfig };
    } catch {
      fail(`metadata "model_config" is not JSON: ${metadata.model_config}`);
    }
  }
  const scale = metadata.scale !== undefined ? Number(metadata.scale) : opts.scale;
  if (scale === undefined) {
    fail("the checkpoint header does not give the scale, and the weights cannot tell it (it is the stride of the last layer, which a state dict does not store): pass --scale 2, 3 or 4 (createUpscaler: the scale option)");
  }
  if (![2, 3, 4].includes(scale!)) fail(`scale must be 2, 3 or 4, got ${metadata.scale ?? scale}`);
  if (arch !== "fsrcnn") fail(`a ${arch} checkpoint needs "model_config" in its header`);

  // Official FSRCNN shapes: feature_extraction [d, c, 5, 5], shrinking [s, d, 1, 1], mapping.0…m-1,
  // last_layer ConvTranspose2d [d, c, 9, 9] (the teacher's feature_extraction sees the encoder's output, so
  // channels come from the last layer).
  const shape = (name: string): number[] => tensors.get(`${NET}${name}`)?.shape ?? fail(`no tensor "${NET}${name}", so the FSRCNN configuration cannot be read from the shapes`);
  const d = shape("feature_extraction.0.0.weight")[0];
  const s = shape("shrinking.0.0.weight")[0];
  const channels = shape("last_layer.0.0.weight")[1];
  let m = 0;
  for (const name of tensors.keys()) {
    const hit = /^backbone\.network\.mapping\.(\d+)\./.exec(name);
    if (hit) m = Math.max(m, Number(hit[1]) + 1);
  }
  return { arch: "fsrcnn", architecture, config: { scale: scale!, channels, d, s, m } };
}

/**
 * Loads weights strictly, except that a student may come without its VID estimator (`vid_module_dict.*`):
 * the estimator only serves the distillation loss, so a student exported for inference drops it. Then the
 * estimator keeps its initial weights and the model can upscale and be evaluated, not trained on (the
 * trainer loads resumed students with model.loadStateDict, strict). Any other missing or extra tensor is an error.
 */
export async function loadWeights(model: PisrModel, tensors: Tensors): Promise<void> {
  const names = [...tensors.keys()];
  if (!model.vid || names.some((n) => n.startsWith(ESTIMATOR_PREFIX))) return model.loadStateDict(tensors);
  const own = new Set(model.namedParameters().map(([n]) => n));
  for (const name of own) if (!name.startsWith(ESTIMATOR_PREFIX) && !tensors.has(name)) throw new Error(`state dict has no entry for parameter "${name}"`);
  for (const name of names) if (!own.has(name)) throw new Error(`state dict entry "${name}" matches no parameter`);
  await model.loadStateDict(tensors, { strict: false });
}
