// Whole-workload benchmark: the canonical PISR workloads (B0–B3, bench/workloads.ts) on our engine and on
// two peers, in one run so the ratios are fair; and the loops people actually run (L0–L3: train/trainer.ts's
// iteration on real images, the upscale command on a photo; bench/README.md "Loop workloads") and the other students
// (S1-<arch> inference, S2-<arch> training step for VDSR, IDN, CARN, CARN-M; bench/README.md "Student workloads"), on
// the engine and PyTorch only:
//   engine   this repository's engine on WebGPU (Bun + bun-webgpu → Dawn → lavapipe); --cpu adds the CPU reference
//   pytorch  PyTorch CPU (Debian's python3-torch at /usr/bin/python3): bench/peers/torch_bench.py; on a machine
//            with an NVIDIA GPU, --torch-device cuda (and --python for a CUDA build of torch) makes it PyTorch-CUDA
//   tfjs     TF.js 4.22 + tfjs-backend-webgpu on Node through dawn.node (same Dawn, same adapter):
//            bench/peers/tfjs/bench.mjs, installed by bench/peers/tfjs/install.sh
//
//   bun bench/run.ts [--only B0,B1,B2,B3] [--runs N] [--warmup 2] [--impls engine,pytorch,tfjs] [--cpu] [--json]
//                    [--interleave steps|workloads] [--out bench/out/run.json] [--results bench/RESULTS.md]
//                    [--torch-device cpu|cuda] [--python /usr/bin/python3]
//                    [--data ../shared/data/train/bsds400] [--photo PATH]     (L0–L2's images, L3's photo)
//   bun bench/run.ts --only L0,L1,L2,L3 …
//   bun bench/run.ts --only S1-idn,S2-carn-m …     (or a prefix: --only S, S1, S2)
//
// Every implementation runs in its own process, one workload at a time, workloads interleaved across
// implementations (B0 on each, then B1 on each, …) so a change of machine load hits all of them alike. The engine
// (WebGPU) and PyTorch go further by default (--interleave steps): both processes stay up for the workload and
// take turns step by step (engine, PyTorch, PyTorch, engine, …), so the noisy minutes of this shared machine fall
// on both sides of their ratio; the table then also gives the median of the step-by-step ratios.
// With --json, one JSON object per line per result ({"name","impl","backend","median_ms","min_ms","max_ms",
// "runs",…}); then a Markdown table. A benchmark, not a test: asserts no time; exits 0 when a peer is missing.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { readImageInfo } from "../image/decode.ts";
import { lastWords, runPaired, type Worker } from "./lib/paired.ts";
import { ensurePhoto } from "./lib/photo.ts";
import { fmt, machineInfo } from "./lib/util.ts";
import { DEFAULT_WORKLOADS, DESCRIPTIONS, FLOP_FORMULA, isLoopWorkload, isStudentWorkload, parseWorkloadList, W, WORKLOADS, type WorkloadName, workloadFlops } from "./workloads.ts";

interface Options {
  only: WorkloadName[];
  runs: number | null;
  warmup: number | null;
  impls: string[];
  cpu: boolean;
  json: boolean;
  out: string;
  results: string | null;
  interleave: "steps" | "workloads";
  /** where the PyTorch peer runs, and the Python that imports torch */
  torchDevice: "cpu" | "cuda";
  python: string;
  /** L0–L2: the training images (default W.loop.data); L3: the photo (default bench/lib/photo.ts builds one) */
  data: string | null;
  photo: string | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    only: [...DEFAULT_WORKLOADS], runs: null, warmup: null, impls: ["engine", "pytorch", "tfjs"], cpu: false, json: false, out: "bench/out/run.json", results: null,
    interleave: "steps", torchDevice: "cpu", python: "/usr/bin/python3", data: null, photo: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const v = (): string => {
      const x = inline ?? argv[++i];
      if (x === undefined) throw new Error(`${flag} needs a value`);
      return x;
    };
    switch (flag) {
      case "--only": o.only = parseWorkloadList(v()); break;
      case "--runs": o.runs = Number(v()); if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error("--runs must be a positive integer"); break;
      case "--warmup": o.warmup = Number(v()); if (!Number.isInteger(o.warmup) || o.warmup < 1) throw new Error("--warmup must be a positive integer"); break;
      case "--impls":
        o.impls = v().split(",").map((s) => s.trim()).filter(Boolean);
        for (const x of o.impls) if (!["engine", "pytorch", "tfjs"].includes(x)) throw new Error(`--impls: unknown "${x}" (engine, pytorch, tfjs)`);
        break;
      case "--cpu": o.cpu = true; break;
      case "--json": o.json = true; break;
      case "--out": o.out = v(); break;
      case "--results": o.results = v(); break;
      case "--interleave": {
        const x = v();
        if (x !== "steps" && x !== "workloads") throw new Error(`--interleave: "${x}" (steps, workloads)`);
        o.interleave = x;
        break;
      }
      case "--torch-device": {
        const x = v();
        if (x !== "cpu" && x !== "cuda") throw new Error(`--torch-device: "${x}" (cpu, cuda)`);
        o.torchDevice = x;
        break;
      }
      case "--python": o.python = v(); break;
      case "--data": o.data = resolve(v()); break;
      case "--photo": o.photo = resolve(v()); break;
      case "-h":
      case "--help":
        console.log("bun bench/run.ts [--only B0,B1,B2,B3] [--runs N] [--warmup N] [--impls engine,pytorch,tfjs] [--cpu] [--json] [--interleave steps|workloads] [--out PATH] [--results PATH] [--torch-device cpu|cuda] [--python PATH] [--data DIR] [--photo PATH]");
        console.log(`  default --only ${DEFAULT_WORKLOADS.join(",")}; the loops: --only L0,L1,L2,L3; the students: --only S (or S1, S2, S1-vdsr,S2-idn,…) (loops and students: engine and PyTorch only)`);
        for (const w of WORKLOADS) console.log(`  ${w}  ${DESCRIPTIONS[w]}`);
        process.exit(0);
      default:
        throw new Error(`unknown argument "${a}" (try --help)`);
    }
  }
  return o;
}

interface Result {
  name: string;
  impl: string;
  backend: string;
  median_ms: number;
  min_ms: number;
  max_ms: number;
  runs: number;
  gflops?: number;
  note?: string;
  [k: string]: unknown;
}

interface Runner {
  impl: string;
  backend: string;
  label: string;
  /** null when it can run; otherwise why not */
  unavailable: () => string | null;
  command: (w: WorkloadName, extra: string[]) => string[];
  cwd?: string;
  /** takes --serve (step by step on request; bench/workloads.ts, parseWorkerArgs) */
  serves?: boolean;
  /** false for the workloads it does not implement (TF.js: the L loops); all when absent */
  supports?: (w: WorkloadName) => boolean;
}

const ROOT = join(import.meta.dir, "..");
const BUN = process.execPath;
const TFJS_DIR = join(ROOT, "bench/peers/tfjs");

/** L0–L2 get the training images, L3 the photo (absolute paths, the same for every worker) */
function loopFlags(w: WorkloadName, o: Options): string[] {
  if (w === "L3") return ["--photo", photoPath ?? ""];
  return isLoopWorkload(w) ? ["--data", o.data ?? resolve(ROOT, W.loop.data)] : [];
}

/** the engine's worker for a workload: bench/engine_bench.ts, or bench/lib/students-worker.ts for the students */
const engineWorker = (w: WorkloadName) => join(ROOT, isStudentWorkload(w) ? "bench/lib/students-worker.ts" : "bench/engine_bench.ts");

function runners(o: Options): Runner[] {
  const all: Runner[] = [];
  if (o.impls.includes("engine")) {
    all.push({ impl: "engine", backend: "webgpu", label: "engine (WebGPU)", serves: true, unavailable: () => null, command: (w, x) => [BUN, engineWorker(w), "--only", w, "--backend", "webgpu", ...loopFlags(w, o), ...x] });
    if (o.cpu) all.push({ impl: "engine", backend: "cpu", label: "engine (CPU ref.)", unavailable: () => null, command: (w, x) => [BUN, engineWorker(w), "--only", w, "--backend", "cpu", ...loopFlags(w, o), ...x] });
  }
  if (o.impls.includes("pytorch")) {
    // a bare name (python3) is looked up on PATH
    const python = o.python.includes("/") ? o.python : (Bun.which(o.python) ?? o.python);
    const cuda = o.torchDevice === "cuda";
    all.push({
      impl: "pytorch", backend: o.torchDevice, label: torchLabel(o), serves: true,
      unavailable: () => {
        if (!existsSync(python)) return `${python} not found (${cuda ? "--python: a Python with a CUDA build of torch" : "apt-get install python3-torch"})`;
        const check = cuda ? "import torch; assert torch.cuda.is_available(), 'torch sees no CUDA device'" : "import torch";
        const r = Bun.spawnSync([python, "-c", check], { stdout: "ignore", stderr: "pipe" });
        return r.exitCode === 0 ? null : `${python} cannot ${cuda ? "run torch on CUDA" : "import torch (apt-get install python3-torch)"}: ${r.stderr.toString().trim().split("\n").pop()}`;
      },
      command: (w, x) => [python, join(ROOT, "bench/peers/torch_bench.py"), "--only", w, ...(cuda ? ["--device", "cuda"] : []), ...loopFlags(w, o), ...x],
    });
  }
  if (o.impls.includes("tfjs"))
    all.push({
      impl: "tfjs", backend: "webgpu", label: "TF.js (WebGPU)", cwd: TFJS_DIR, supports: (w) => !isLoopWorkload(w) && !isStudentWorkload(w),
      unavailable: () => {
        if (Bun.which("node") === null) return "node not found on PATH (TF.js runs on Node: dawn.node segfaults inside Bun)";
        for (const p of ["@tensorflow/tfjs", "@tensorflow/tfjs-backend-webgpu", "webgpu"])
          if (!existsSync(join(TFJS_DIR, "node_modules", p, "package.json"))) return `${p} not installed: run bench/peers/tfjs/install.sh`;
        return null;
      },
      command: (w, x) => ["node", join(TFJS_DIR, "bench.mjs"), "--only", w, ...x],
    });
  return all;
}

function torchLabel(o: Options): string {
  return o.torchDevice === "cuda" ? "PyTorch (CUDA)" : "PyTorch (CPU)";
}

/** Step pairs when the engine and PyTorch alternate (--interleave steps) and --runs is not given. */
const PAIRED_RUNS = 7;
/** Pause after each step of an alternation, so that one side's worker threads have gone idle before the other's step. */
const PAIR_GAP_MS = 50;

/** Runs one implementation on one workload; returns its JSON lines (meta and result). */
async function runOne(r: Runner, w: WorkloadName, o: Options): Promise<{ lines: Record<string, unknown>[]; error: string | null }> {
  const extra = [...(o.runs ? ["--runs", String(o.runs)] : []), ...(o.warmup ? ["--warmup", String(o.warmup)] : [])];
  const proc = Bun.spawn(r.command(w, extra), { cwd: r.cwd ?? ROOT, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const lines: Record<string, unknown>[] = [];
  for (const l of out.split("\n")) if (l.startsWith("{")) try { lines.push(JSON.parse(l)); } catch { /* not ours */ }
  if (code !== 0) return { lines, error: `exit ${code}: ${lastWords(err)}` };
  return { lines, error: null };
}

const o = parseArgs(process.argv.slice(2));
// L3's photo, built (bench/lib/photo.ts) before any worker starts, so that every implementation reads the same file
let photoPath: string | null = o.photo;
let photoError: string | null = null;
if (o.only.includes("L3") && !photoPath) {
  try {
    photoPath = ensurePhoto();
  } catch (e) {
    photoError = `the L3 photo: ${(e as Error).message}`;
  }
}
let photoSize: { width: number; height: number } | undefined;
if (o.only.includes("L3") && photoPath && !photoError) {
  try {
    photoSize = readImageInfo(photoPath);
  } catch (e) {
    photoError = `the L3 photo: ${(e as Error).message}`;
  }
}
/** nominal FLOPs of a workload; L3's for the photo it really upscales */
const flopsOf = (w: WorkloadName) => workloadFlops(w, w === "L3" ? photoSize : undefined);
const machine = machineInfo();
const t0 = performance.now();
const log = (s: string) => process.stderr.write(`${s}\n`);

const rs = runners(o);
const unavailable = new Map<string, string>();
for (const r of rs) {
  const why = r.unavailable();
  if (why) unavailable.set(r.label, why);
}
const metas = new Map<string, Record<string, unknown>>();
const results: Result[] = [];
const failures: string[] = [];

/** engine ÷ PyTorch per workload: the median of the step-by-step ratios, where the two alternated */
const pairedRatios = new Map<WorkloadName, number>();
const stamp = () => `[${((performance.now() - t0) / 1000).toFixed(0)} s]`;
const load = () => `load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`;

function collect(r: Runner, w: WorkloadName, lines: Record<string, unknown>[], error: string | null): void {
  for (const l of lines) {
    if (l.meta) metas.set(r.label, l);
    else if (l.name === w) {
      const res = l as Result;
      res.gflops = flopsOf(w) / (res.median_ms * 1e6);
      results.push(res);
      if (o.json) console.log(JSON.stringify(res));
      log(`    ${r.label}: median ${fmt(res.median_ms)} ms over ${res.runs} runs`);
    }
  }
  if (error) {
    failures.push(`${w} on ${r.label}: ${error}`);
    log(`    ${r.label} failed: ${error}`);
  }
}

const available = rs.filter((r) => !unavailable.has(r.label));
const engineGpu = available.find((r) => r.impl === "engine" && r.backend === "webgpu");
const torch = available.find((r) => r.impl === "pytorch");
const pair = o.interleave === "steps" && engineGpu?.serves && torch?.serves ? [engineGpu, torch] : null;
for (const w of o.only) {
  if (w === "L3" && photoError) {
    failures.push(photoError);
    log(`${stamp()} L3 skipped: ${photoError}`);
    continue;
  }
  if (pair) {
    log(`${stamp()} ${w} on ${pair[0].label} and ${pair[1].label}, step by step … (${load()})`);
    const workers = pair.map((r): Worker => ({ label: r.label, command: (x) => r.command(w, x), cwd: r.cwd ?? ROOT }));
    const extra = o.warmup ? ["--warmup", String(o.warmup)] : [];
    const { lines, ratio, error } = await runPaired(workers[0], workers[1], { pairs: o.runs ?? PAIRED_RUNS, extra, gapMs: PAIR_GAP_MS });
    pair.forEach((r, i) => collect(r, w, lines.get(workers[i]) ?? [], null));
    if (error) {
      failures.push(`${w} on ${pair[0].label} and ${pair[1].label}, step by step: ${error}`);
      log(`    failed: ${error}`);
    } else {
      pairedRatios.set(w, ratio);
      log(`    step-by-step ratio (median): ${fmt(ratio)}`);
    }
  }
  for (const r of available) {
    if (pair?.includes(r) || r.supports?.(w) === false) continue;
    log(`${stamp()} ${w} on ${r.label} … (${load()})`);
    const { lines, error } = await runOne(r, w, o);
    collect(r, w, lines, error);
  }
}
const wallS = (performance.now() - t0) / 1000;
const loadEnd = loadavg().map((x) => Math.round(x * 100) / 100);

// ---------------------------------------------------------------- report

const find = (w: string, impl: string, backend: string) => results.find((r) => r.name === w && r.impl === impl && r.backend === backend);
const engineMeta = metas.get("engine (WebGPU)") ?? metas.get("engine (CPU ref.)");
const torchMeta = metas.get(torchLabel(o));
const tfMeta = metas.get("TF.js (WebGPU)");
const adapter = String(engineMeta?.adapter ?? tfMeta?.adapter ?? "(WebGPU not run)");
const versions = [
  `Bun ${machine.bun}`,
  torchMeta ? `torch ${torchMeta.torch} (${torchMeta.gpu ? `${torchMeta.gpu}, CUDA ${torchMeta.cuda}, cuDNN ${torchMeta.cudnn}` : `${torchMeta.threads} threads`}, Python ${torchMeta.python})` : null,
  tfMeta ? `tfjs ${tfMeta.tfjs} + tfjs-backend-webgpu ${tfMeta.tfjs_backend_webgpu} on Node ${tfMeta.node}, webgpu (dawn.node) ${tfMeta.webgpu}` : null,
].filter(Boolean).join(" · ");

const md: string[] = [];
md.push(`Workload benchmark — ${machine.date} · ${machine.cpuModel} · ${machine.cores} cores · load ${machine.loadavg.join(" ")} at start, ${loadEnd.join(" ")} at end · adapter: ${adapter} · ${versions} · commit ${machine.gitCommit} · wall ${wallS.toFixed(0)} s`);
md.push("");
md.push("| workload | implementation | median ms | min–max ms | runs | GFLOP/s |");
md.push("|---|---|---:|---:|---:|---:|");
for (const w of o.only)
  for (const r of rs) {
    const x = find(w, r.impl, r.backend);
    if (x) md.push(`| ${w} | ${r.label} | ${fmt(x.median_ms)} | ${fmt(x.min_ms)}–${fmt(x.max_ms)} | ${x.runs}${x.note ? ` (${x.note})` : ""} | ${fmt(x.gflops!)} |`);
    else md.push(`| ${w} | ${r.label} | — | — | — | ${r.supports?.(w) === false ? "not implemented" : unavailable.has(r.label) ? "unavailable" : "failed"} |`);
  }
md.push("");
md.push("Ratios (time of our engine on WebGPU ÷ time of the peer: > 1 means the engine is slower):");
md.push("");
md.push(`| workload | GFLOP | engine ÷ ${torchLabel(o).replace(/[()]/g, "")}${pair ? " | … median of the step-by-step ratios" : ""} | engine ÷ TF.js WebGPU |`);
md.push(`|---|---:|---:|${pair ? "---:|" : ""}---:|`);
for (const w of o.only) {
  const e = find(w, "engine", "webgpu"), p = find(w, "pytorch", o.torchDevice), t = find(w, "tfjs", "webgpu");
  const ratio = (a?: Result, b?: Result) => (a && b ? `${fmt(a.median_ms / b.median_ms)}` : "—");
  const paired = pair ? ` ${pairedRatios.has(w) ? fmt(pairedRatios.get(w)!) : "—"} |` : "";
  md.push(`| ${w} | ${fmt(flopsOf(w) / 1e9)} | ${ratio(e, p)} |${paired} ${ratio(e, t)} |`);
}
md.push("");
for (const [plain, student, what] of [["B1", "B2", "step"], ["L1", "L2", "iteration"]] as const) {
  if (!o.only.includes(plain) || !o.only.includes(student)) continue;
  const parts: string[] = [];
  for (const r of rs) {
    const b1 = find(plain, r.impl, r.backend), b2 = find(student, r.impl, r.backend);
    if (b1 && b2) parts.push(`${r.label} ${fmt(b2.gflops!)} vs ${fmt(b1.gflops!)}`);
  }
  if (parts.length) md.push(`GFLOP/s of ${student} (student ${what}) vs ${plain} (plain FSRCNN ${what}): ${parts.join("; ")}.`, "");
}
for (const w of o.only) md.push(`* ${w}: ${DESCRIPTIONS[w]}; ${fmt(flopsOf(w) / 1e9)} GFLOP nominal`);
md.push("", `GFLOP/s = nominal FLOPs ÷ median time. ${FLOP_FORMULA}.`);
md.push("Times are wall-clock per step, each including the readback of its result (the loss value; B3 and S1: the whole output image), after warm-up; medians of the timed runs.");
const loopData = o.only.some((w) => isLoopWorkload(w) && w !== "L3") ? `L0–L2 sampled ${o.data ?? resolve(ROOT, W.loop.data)}` : null;
const loopPhoto = o.only.includes("L3") && photoPath ? `L3 upscaled ${photoPath}${photoSize ? ` (${photoSize.width}×${photoSize.height})` : ""}` : null;
if (loopData || loopPhoto) md.push(`${[loopData, loopPhoto].filter(Boolean).join("; ")}.`);
if (o.only.some(isStudentWorkload)) md.push("S1/S2: the students as baselines (the network alone, no encoder or VID), random weights, on random tensors; the engine notes beside its run count when it ran S1 in tiles or S2 in micro-batches (its largest buffer is too small for one pass), which its GFLOP/s (nominal FLOPs of one pass) then includes. What each side includes: bench/README.md, \"Student workloads\".");
if (o.only.some(isLoopWorkload)) md.push(`L0–L2: times per whole training iteration (batch sampled from decoded images, augmented, uploaded; the step; every loss term read back), timed in windows of ${W.loop.window} (the engine keeps one in flight inside a window, as train() does); L3: one photo from PNG file to PNG file. What each side includes: bench/README.md, \"Loop workloads\".`);
if (pair) md.push(`The engine (WebGPU) and PyTorch ran side by side, alternating step by step (engine first in even pairs, PyTorch first in odd ones, ${PAIR_GAP_MS} ms apart); the other implementations ran one after the other.`);
for (const [label, why] of unavailable) md.push("", `**${label} unavailable:** ${why}`);
for (const f of failures) md.push("", `**failed:** ${f}`);
const table = md.join("\n");
console.log(table);

mkdirSync(dirname(o.out), { recursive: true });
writeFileSync(o.out, JSON.stringify({ machine: { ...machine, loadEnd, adapter, wallSeconds: Math.round(wallS) }, metas: Object.fromEntries(metas), unavailable: Object.fromEntries(unavailable), failures, flopFormula: FLOP_FORMULA, flops: Object.fromEntries(o.only.map((w) => [w, flopsOf(w)])), results, pairedRatios: Object.fromEntries(pairedRatios) }, null, 2));
log(`JSON written to ${o.out}`);
if (o.results) {
  const command = `bun bench/run.ts${process.argv.slice(2).filter((a) => a !== "--results" && a !== o.results).map((a) => ` ${a}`).join("")}`;
  writeFileSync(o.results, resultsFile(existsSync(o.results) ? readFileSync(o.results, "utf8") : null, `Latest run of \`${command}\`:\n\n${table}`));
  log(`Markdown written to ${o.results}`);
}

/**
 * The results file with `latest` between its two markers, so that what people wrote around it (the history of
 * earlier runs, notes on noise) stays; a new file (or one without the markers) gets a heading and the markers.
 */
function resultsFile(old: string | null, latest: string): string {
  const begin = "<!-- bench/run.ts: latest run (rewritten by --results) -->", end = "<!-- /bench/run.ts -->";
  const block = `${begin}\n${latest}\n${end}`;
  const [i, j] = old ? [old.indexOf(begin), old.indexOf(end)] : [-1, -1];
  if (old && i >= 0 && j > i) return old.slice(0, i) + block + old.slice(j + end.length);
  return `# Workload benchmark results\n\nSee bench/README.md for the method.\n\n${block}\n`;
}
