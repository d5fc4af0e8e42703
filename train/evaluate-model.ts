// Evaluating checkpoints on benchmark sets, shared by the CLI's eval, results, pipeline and compare commands
// and by the scripts that tabulate runs: which folders a --sets list names, PSNR/SSIM of a checkpoint (or
// bicubic) on each, and the Markdown table of several.

import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createBackend } from "../engine/index.ts";
import type { BackendChoice } from "../engine/init.ts";
import { bicubicUpscaler, evaluateSet, type SetResult, type Upscaler } from "../image/evaluate.ts";
import { BENCHMARK_DIR } from "../image/paths.ts";
import type { Image } from "../image/types.ts";
import { upscaleImage } from "../infer/upscale.ts";
import { die } from "./cli-args.ts";
import { loadModel } from "./models-io.ts";

/** The folders of a --sets list: names of the shared benchmark sets (Set5) or paths; the four sets by default. */
export function resolveSets(spec: string | undefined): string[] {
  const names = (spec ?? "Set5,Set14,B100,Urban100").split(",").filter(Boolean);
  // a name (Set5) is a folder of the shared benchmark data; anything with a slash is a path as given
  const path = (n: string) => (existsSync(n) || n.includes("/") ? n : join(BENCHMARK_DIR, n));
  return names.map(path).map((p) => (existsSync(p) ? p : die(`benchmark folder not found: ${p}`)));
}

/** A set's name: its folder's. */
export function setName(r: SetResult): string {
  return r.folder.split("/").pop()!;
}

/** One row per model, one column of PSNR / SSIM per set. */
export function formatTable(rows: { name: string; results: SetResult[] }[]): string {
  const sets = rows[0]?.results.map(setName) ?? [];
  const head = `| model | ${sets.join(" | ")} |\n|---|${sets.map(() => "---").join("|")}|`;
  const body = rows.map((r) => `| ${r.name} | ${r.results.map((s) => `${s.psnr.toFixed(2)} / ${s.ssim.toFixed(4)}`).join(" | ")} |`);
  return [head, ...body].join("\n");
}

/** PSNR/SSIM of a checkpoint (or "bicubic") on each set; one progress line per set goes to `log`. */
export async function evaluateModel(
  model: string, sets: string[], scale: number | undefined, backendChoice: BackendChoice, limit?: number,
  log: (line: string) => void = (l) => console.error(l),
): Promise<SetResult[]> {
  const each = async (s: string, factor: number, upscaler: Upscaler, colour: "y" | "rgb" = "y"): Promise<SetResult> => {
    const t0 = performance.now();
    const r = await evaluateSet(s, factor, upscaler, { limit, colour });
    log(`eval ${model === "bicubic" ? "bicubic" : `${basename(dirname(model))}/${basename(model)}`} on ${basename(s)}: ${r.images.length} images, ` +
      `${r.psnr.toFixed(2)} dB / ${r.ssim.toFixed(4)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return r;
  };
  const out: SetResult[] = [];
  if (model === "bicubic") {
    if (!scale) die("eval --model bicubic needs --scale");
    for (const s of sets) out.push(await each(s, scale, bicubicUpscaler));
    return out;
  }
  const backend = await createBackend(backendChoice);
  try {
    const { model: net } = await loadModel(model, backend, undefined, { scale });
    if (scale && scale !== net.config.scale) die(`${model} is a ×${net.config.scale} model, not ×${scale}`);
    const colour = net.imageChannels === 3 ? "rgb" : "y";
    for (const s of sets) out.push(await each(s, net.config.scale, (lr: Image) => upscaleImage(net, backend, lr), colour));
    net.dispose();
    return out;
  } finally {
    backend.destroy();
  }
}
