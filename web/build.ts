/**
 * Builds the demo page into web/dist/ (or --out DIR) with Bun's bundler, target "browser":
 *
 *   bun web/build.ts [--out DIR] [--weights x2=path/to/student.safetensors,x4=...]
 *
 * Checkpoints given by --weights are copied as weights-x{scale}.safetensors (each must be a student or
 * baseline for that scale). Without --weights the page gets the shipped ×4 weights of weights/ (the PISR
 * student, or the baseline while no student is shipped). With --untrained, or when nothing is shipped, seeded
 * random-initialised students for ×2, ×3 and ×4 are written instead, and the page says "untrained weights".
 *
 * The build fails if the bundle mentions `node:` or `bun-webgpu`: nothing Node- or Bun-only may reach the
 * browser.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { builtinModules } from "node:module";
import { parseArgs } from "node:util";
import { readCheckpoint } from "../embed/index.ts";
import { randomWeights } from "../embed/weights.ts";
import { defaultWeights } from "../train/shipped.ts";

const HERE = import.meta.dir;
export const DEFAULT_OUT = join(HERE, "dist");
/** Strings that must not appear in the browser bundle. */
export const FORBIDDEN = ["node:", "bun-webgpu"];

/**
 * Bun's browser target quietly swaps Node built-ins for empty stubs (`import { readFileSync } from "node:fs"`
 * becomes `{}`), so the text check alone would miss them: this plugin refuses any import of a Node or Bun
 * built-in or of bun-webgpu, naming the file that asked for it.
 */
const BUILTINS = new Set(builtinModules);
export const noServerOnlyImports: Parameters<typeof Bun.build>[0]["plugins"] = [
  {
    name: "no-server-only-imports",
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        const spec = args.path;
        if (spec.startsWith("node:") || spec === "bun" || spec.startsWith("bun:") || spec === "bun-webgpu" || BUILTINS.has(spec) || BUILTINS.has(spec.split("/")[0])) {
          throw new Error(`${args.importer} imports "${spec}", which does not exist in browsers`);
        }
        return undefined;
      });
    },
  },
];

export interface BuildOptions {
  out?: string;
  /** scale → checkpoint path; absent: the shipped ×4 weights (random-initialised students if none) */
  weights?: Record<number, string>;
  /** random-initialised students for ×2, ×3, ×4 even when trained weights are shipped */
  untrained?: boolean;
  minify?: boolean;
  /** the page's entry module (tests point it elsewhere to check the bundle guard) */
  entry?: string;
  log?: (line: string) => void;
}

export function parseWeightsFlag(flag: string): Record<number, string> {
  const out: Record<number, string> = {};
  for (const part of flag.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^x?([234])=(.+)$/.exec(part);
    if (!m) throw new Error(`--weights: "${part}" is not x2=PATH, x3=PATH or x4=PATH`);
    out[Number(m[1])] = m[2];
  }
  return out;
}

/** Builds the page; returns the output folder and the scales whose weights it holds. */
export async function buildWeb(opts: BuildOptions = {}): Promise<{ out: string; scales: number[]; untrained: boolean; bundleBytes: number }> {
  const out = resolve(opts.out ?? DEFAULT_OUT);
  const log = opts.log ?? console.log;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  let result: Awaited<ReturnType<typeof Bun.build>>;
  try {
    result = await Bun.build({ entrypoints: [opts.entry ?? join(HERE, "main.ts")], target: "browser", format: "esm", minify: opts.minify ?? true, sourcemap: "none", plugins: noServerOnlyImports });
  } catch (e) {
    const errors = (e as { errors?: unknown[] }).errors;
    throw new Error(`bundling failed: ${errors?.length ? errors.map(String).join("; ") : (e as Error).message}`);
  }
  if (!result.success) throw new Error(`bundling failed: ${result.logs.map(String).join("; ")}`);
  let bundleBytes = 0;
  for (const artifact of result.outputs) {
    const text = await artifact.text();
    for (const bad of FORBIDDEN) {
      const at = text.indexOf(bad);
      if (at >= 0) throw new Error(`the browser bundle mentions "${bad}" (…${text.slice(Math.max(0, at - 80), at + 80)}…): a Node/Bun-only import reached the browser build`);
    }
    const name = artifact.kind === "entry-point" ? "main.js" : artifact.path.replace(/^.*\//, "");
    writeFileSync(join(out, name), text);
    bundleBytes += text.length;
  }
  copyFileSync(join(HERE, "index.html"), join(out, "index.html"));

  let given = opts.weights ?? {};
  if (!Object.keys(given).length && !opts.untrained) {
    const shipped = (() => {
      try {
        return defaultWeights(4).path;
      } catch {
        return null; // nothing shipped: untrained weights below, and the page says so
      }
    })();
    if (shipped) given = { 4: shipped };
  }
  const scales: number[] = [];
  if (Object.keys(given).length) {
    for (const [s, path] of Object.entries(given)) {
      const bytes = new Uint8Array(readFileSync(path));
      const { config, architecture } = readCheckpoint(bytes); // refuses teachers and non-checkpoints
      if (config.scale !== Number(s)) throw new Error(`--weights x${s}=${path}: that ${architecture} checkpoint is for ×${config.scale}`);
      writeFileSync(join(out, `weights-x${s}.safetensors`), bytes);
      scales.push(Number(s));
    }
  } else {
    for (const s of [2, 3, 4]) {
      writeFileSync(join(out, `weights-x${s}.safetensors`), await randomWeights(s, { seed: s }));
      scales.push(s);
    }
  }
  scales.sort();
  const untrained = !Object.keys(given).length;
  log(`web: built ${out} (bundle ${(bundleBytes / 1024).toFixed(0)} KiB, weights ×${scales.join(", ×")}${untrained ? ", untrained (random init)" : ""})`);
  return { out, scales, untrained, bundleBytes };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Bun.argv.slice(2), strict: true,
    options: { out: { type: "string" }, weights: { type: "string" }, untrained: { type: "boolean" }, help: { type: "boolean" } },
  });
  if (values.help) {
    console.log("usage: bun web/build.ts [--out DIR] [--weights x2=PATH,x3=PATH,x4=PATH | --untrained]\n  default: the shipped ×4 weights of weights/");
    process.exit(0);
  }
  try {
    await buildWeb({ out: values.out, weights: values.weights ? parseWeightsFlag(values.weights) : undefined, untrained: values.untrained });
  } catch (e) {
    console.error(`web build: ${(e as Error).message}`);
    process.exit(1);
  }
}
