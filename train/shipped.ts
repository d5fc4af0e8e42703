// The trained checkpoints shipped in weights/ (written by scripts/ship-weights.ts), and which one a command
// uses when the user names none: the PISR student, or the baseline while no student has been shipped.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { WEIGHTS_DIR } from "../image/paths.ts";

export type ShippedKind = "student" | "baseline" | "teacher";

export const shippedFile = (kind: ShippedKind, scale = 4): string => join(WEIGHTS_DIR, `fsrcnn-x${scale}-${kind}.safetensors`);

/** The checkpoint `upscale` and `createUpscaler` use by default; an error saying how to get one if none is shipped. */
export function defaultWeights(scale = 4): { path: string; kind: ShippedKind } {
  for (const kind of ["student", "baseline"] as const) {
    const path = shippedFile(kind, scale);
    if (existsSync(path)) return { path, kind };
  }
  throw new Error(`no shipped ×${scale} weights in ${WEIGHTS_DIR}; pass --model CKPT (a student or baseline checkpoint you trained)`);
}
