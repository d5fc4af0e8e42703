/**
 * Bicubic baseline on the benchmark sets, next to the published values.
 *
 *   bun image/bicubic-report.ts [--sets Set5,Set14,B100,Urban100] [--scales 2,3,4]
 *                               [--reference float|uint8] [--data DIR] [--per-image]
 *
 * Defaults: --sets Set5,Set14  --scales 2,3,4  --reference float  --data ../shared/data/benchmark (from the
 * repository root). Prints a Markdown table. Pipeline: see image/evaluate.ts.
 */
import { join } from "node:path";
import { bicubicUpscaler, evaluateSet } from "./evaluate.ts";
import { BENCHMARK_DIR } from "./paths.ts";
import { PUBLISHED_BICUBIC } from "./published.ts";

function parseArgs(argv: string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument '${a}'`);
    const eq = a.indexOf("=");
    if (eq >= 0) args.set(a.slice(2, eq), a.slice(eq + 1));
    else if (a === "--per-image") args.set("per-image", "1");
    else args.set(a.slice(2), argv[++i] ?? "");
  }
  return args;
}

export async function bicubicReport(argv: string[]): Promise<string> {
  const args = parseArgs(argv);
  for (const k of args.keys()) {
    if (!["sets", "scales", "reference", "data", "per-image"].includes(k)) throw new Error(`unknown option --${k}`);
  }
  const sets = (args.get("sets") ?? "Set5,Set14").split(",").filter(Boolean);
  const scales = (args.get("scales") ?? "2,3,4").split(",").filter(Boolean).map(Number);
  if (scales.some((s) => !Number.isInteger(s) || s < 1)) throw new Error(`--scales must be positive integers`);
  const reference = args.get("reference") ?? "float";
  if (reference !== "float" && reference !== "uint8") throw new Error(`--reference must be float or uint8`);
  const data = args.get("data") ?? BENCHMARK_DIR;
  const lines = [
    `Bicubic (MATLAB imresize down, then up), Y channel, ${reference} HR luma, prediction quantised to 8 bits, scale px shaved.`,
    "",
    "| set | scale | PSNR | published | Δ dB | SSIM | published | Δ | images | s |",
    "|---|---|---|---|---|---|---|---|---|---|",
  ];
  const perImage: string[] = [];
  for (const set of sets) {
    for (const scale of scales) {
      const t0 = performance.now();
      const r = await evaluateSet(join(data, set), scale, bicubicUpscaler, { reference: reference as "float" | "uint8" });
      const secs = (performance.now() - t0) / 1000;
      const pub = PUBLISHED_BICUBIC[set]?.[scale];
      const f = (v: number | undefined, d: number) => (v === undefined ? "–" : v.toFixed(d));
      const sign = (v: number | undefined, d: number) => (v === undefined ? "–" : (v >= 0 ? "+" : "") + v.toFixed(d));
      lines.push(
        `| ${set} | x${scale} | ${f(r.psnr, 2)} | ${f(pub?.psnr, 2)} | ${sign(pub && r.psnr - pub.psnr, 3)} | ${f(r.ssim, 4)} | ${f(pub?.ssim, 4)} | ${sign(pub && r.ssim - pub.ssim, 4)} | ${r.images.length} | ${secs.toFixed(1)} |`,
      );
      if (args.has("per-image")) for (const im of r.images) perImage.push(`| ${set} | x${scale} | ${im.name} | ${im.psnr.toFixed(3)} | ${im.ssim.toFixed(4)} |`);
    }
  }
  if (perImage.length) lines.push("", "| set | scale | image | PSNR | SSIM |", "|---|---|---|---|---|", ...perImage);
  const notes = [...new Set(sets.map((s) => PUBLISHED_BICUBIC[s]?.[scales[0]]?.source).filter(Boolean))];
  lines.push("", `Published values from: ${notes.join("; ")}.`);
  return lines.join("\n");
}

if (import.meta.main) {
  try {
    console.log(await bicubicReport(process.argv.slice(2)));
  } catch (err) {
    console.error(`bicubic-report: ${(err as Error).message}`);
    process.exit(1);
  }
}
