// The canonical workloads of bench/run.ts (all single-channel Y, FSRCNN d=56 s=12 m=4, ×4), their nominal
// FLOP counts, and the argument parsing the engine worker shares with the peers' command lines.
//
//   B0  PISR teacher step: encoder on the HR patch + FSRCNN decoder, L1(out, HR) + 1e-4·L1(encoded, LR), Adam
//   B1  FSRCNN training step: batch 16, LR 48×48 → HR 192×192, L1, Adam
//   B2  PISR student step: frozen teacher forward on HR (no grad) + student forward/backward + VID (Laplace), Adam
//   B3  FSRCNN inference: one 480×270 Y image → 1920×1080

export const W = {
  scale: 4,
  d: 56,
  s: 12,
  m: 4,
  train: { batch: 16, lrPatch: 48 },
  infer: { width: 480, height: 270 },
} as const;

export const WORKLOADS = ["B0", "B1", "B2", "B3"] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

export const DESCRIPTIONS: Record<WorkloadName, string> = {
  B0: "PISR teacher step ×4 (encoder on HR 192² + FSRCNN, L1 + 1e-4·imitation, Adam), batch 16",
  B1: "FSRCNN ×4 training step (LR 48² → HR 192², L1, Adam), batch 16",
  B2: "PISR student step ×4 (frozen teacher fwd on HR + student fwd/bwd + VID Laplace, Adam), batch 16",
  B3: "FSRCNN ×4 inference 480×270 → 1920×1080, batch 1",
};

/** One convolution of a workload: multiply-adds of its forward, and how many times that cost is paid. */
interface ConvCost {
  layer: string;
  macs: number;
  /** 1 = forward only; 2 = forward + weight gradient (input needs no gradient); 3 = forward + dW + dX */
  factor: number;
}

/** conv: N·O·Ho·Wo·C·k²;  transposed conv: N·C·H·W·O·k² (every input pixel meets every tap). */
function fsrcnnConvs(N: number, H: number, Wd: number, firstFactor: number, factor: number, prefix = ""): ConvCost[] {
  const { d, s, m } = W;
  const px = N * H * Wd;
  return [
    { layer: `${prefix}feature_extraction 5×5 1→${d}`, macs: px * d * 25, factor: firstFactor },
    { layer: `${prefix}shrinking 1×1 ${d}→${s}`, macs: px * s * d, factor },
    ...Array.from({ length: m }, (_, i) => ({ layer: `${prefix}mapping.${i} 3×3 ${s}→${s}`, macs: px * s * s * 9, factor })),
    { layer: `${prefix}expanding 1×1 ${s}→${d}`, macs: px * d * s, factor },
    { layer: `${prefix}last_layer T9×9 ${d}→1 s${W.scale}`, macs: px * d * 81, factor },
  ];
}

function encoderConvs(N: number, H: number, Wd: number, firstFactor: number, factor: number): ConvCost[] {
  const { d, s, scale } = W;
  const hrPx = N * H * scale * Wd * scale, lrPx = N * H * Wd;
  return [
    { layer: `encoder 5×5 1→${d} (HR)`, macs: hrPx * d * 25, factor: firstFactor },
    { layer: `encoder 5×5 ${d}→${d} s${scale}`, macs: lrPx * d * d * 25, factor },
    { layer: `encoder 3×3 ${d}→${s}`, macs: lrPx * s * d * 9, factor },
    { layer: `encoder 3×3 ${s}→1`, macs: lrPx * s * 9, factor },
  ];
}

function vidConvs(N: number, H: number, Wd: number): ConvCost[] {
  const px = N * H * Wd, d = W.d;
  return ["mean.0", "mean.2", "var.0", "var.2"].map((l) => ({ layer: `vid ${l} 1×1 ${d}→${d}`, macs: px * d * d, factor: 3 }));
}

export function convCosts(name: WorkloadName): ConvCost[] {
  const { batch: N, lrPatch: P } = W.train;
  switch (name) {
    case "B1":
      return fsrcnnConvs(N, P, P, 2, 3);
    case "B0":
      // the decoder's first conv takes the encoder's output, which needs a gradient: every decoder conv is ×3
      return [...encoderConvs(N, P, P, 2, 3), ...fsrcnnConvs(N, P, P, 3, 3)];
    case "B2":
      return [
        ...encoderConvs(N, P, P, 1, 1).map((c) => ({ ...c, layer: `teacher ${c.layer}` })),
        ...fsrcnnConvs(N, P, P, 1, 1, "teacher "),
        ...fsrcnnConvs(N, P, P, 2, 3, "student "),
        ...vidConvs(N, P, P),
      ];
    case "B3":
      return fsrcnnConvs(1, W.infer.height, W.infer.width, 1, 1);
  }
}

/** Nominal FLOPs of one unit of work: Σ over its convolutions of 2 · MACs · factor (bias, PReLU, loss, Adam not counted). */
export function workloadFlops(name: WorkloadName): number {
  return convCosts(name).reduce((a, c) => a + 2 * c.macs * c.factor, 0);
}

export const FLOP_FORMULA =
  "FLOPs = Σ_conv 2·MACs·f, MACs(conv) = N·O·Ho·Wo·C·k², MACs(transposed conv) = N·C·H·W·O·k²; " +
  "f = 1 for a forward only (B3, B2's frozen teacher), 3 for a trained conv (forward + dX + dW), 2 for a trained conv " +
  "whose input is the data (no dX: the first conv of B1 and of B2's student, the encoder's first conv in B0); " +
  "bias, PReLU, losses and Adam are not counted";

export interface WorkerArgs {
  only: WorkloadName[];
  runs: number;
  runsGiven: boolean;
  warmup: number;
  backend: string;
  /** serve one workload step by step over stdin/stdout (bench/run.ts's paired mode; the protocol is described at parseWorkerArgs) */
  serve: boolean;
}

export function parseWorkloadList(s: string): WorkloadName[] {
  const names = s.split(",").map((x) => x.trim().toUpperCase()).filter(Boolean);
  for (const n of names) if (!(WORKLOADS as readonly string[]).includes(n)) throw new Error(`unknown workload "${n}" (${WORKLOADS.join(", ")})`);
  return names as WorkloadName[];
}

/**
 * --only B0,B1 --runs N --warmup N --backend X [--serve] (the same flags the peers take). With --serve a worker
 * prepares its one workload, runs the warm-up steps and prints {"ready": name}; then each line "step" on stdin runs
 * one timed step and prints {"step_ms": t}, and "end" prints the usual result line (over the served steps) and
 * exits. bench/run.ts alternates two such workers step by step, so that a slow minute of this shared machine
 * falls on both sides of a ratio alike.
 */
export function parseWorkerArgs(argv: string[], defaults: { backend: string }): WorkerArgs {
  const o: WorkerArgs = { only: [...WORKLOADS], runs: 5, runsGiven: false, warmup: 2, backend: defaults.backend, serve: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === "--only") o.only = parseWorkloadList(v());
    else if (a === "--runs") (o.runs = Number(v())), (o.runsGiven = true);
    else if (a === "--warmup") o.warmup = Number(v());
    else if (a === "--backend") o.backend = v();
    else if (a === "--serve") o.serve = true;
    else throw new Error(`unknown argument "${a}"`);
  }
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error("--runs must be a positive integer");
  if (!Number.isInteger(o.warmup) || o.warmup < 1) throw new Error("--warmup must be a positive integer");
  if (o.serve && o.only.length !== 1) throw new Error("--serve takes exactly one workload (--only B1)");
  return o;
}
