// The canonical workloads of bench/run.ts (all single-channel Y, FSRCNN d=56 s=12 m=4, ×4), their nominal
// FLOP counts, and the argument parsing the engine worker shares with the peers' command lines.
//
// B: the network steps alone, on fixed random tensors already on the device:
//   B0  PISR teacher step: encoder on the HR patch + FSRCNN decoder, L1(out, HR) + 1e-4·L1(encoded, LR), Adam
//   B1  FSRCNN training step: batch 16, LR 48×48 → HR 192×192, L1, Adam
//   B2  PISR student step: frozen teacher forward on HR (no grad) + student forward/backward + VID (Laplace), Adam
//   B3  FSRCNN inference: one 480×270 Y image → 1920×1080
// L: what users run, whole loops (bench/README.md, "Loop workloads"): one iteration of train/trainer.ts at ×4,
// HR patch 96, batch 16, on real training images (sampling, augmentation, upload, the step, every loss term read
// back), and one `upscale` of a photo from file to file:
//   L0  PISR teacher iteration    L1  FSRCNN baseline iteration    L2  PISR student iteration (VID Laplace)
//   L3  upscale a 2000×1336 photo ×4: PNG decode, RGB→YCbCr, network on Y, Cb/Cr bicubic, RGB, PNG encode + write
// S: the other students of models/registry.ts (VDSR, IDN on Y; CARN, CARN-M on RGB), ×4, random weights, run by
// bench/lib/students-worker.ts (engine) and bench/peers/torch_students.py (PyTorch); bench/README.md, "Student workloads":
//   S1-<arch>  inference: one 480×270 LR image, batch 1, no gradient (as B3)
//   S2-<arch>  one training step: batch 16, LR 48×48 → HR 192×192, L1, Adam (as B1)

import { convMacs, STUDENT_ARCHS, STUDENT_SIZES, type StudentArch, studentConvs } from "./lib/students.ts";

export const W = {
  scale: 4,
  d: 56,
  s: 12,
  m: 4,
  train: { batch: 16, lrPatch: 48 },
  infer: { width: 480, height: 270 },
  /** the L workloads: train/trainer.ts's iteration as the ×4 runs use it, and the photo L3 upscales */
  loop: {
    batch: 16,
    hrPatch: 96,
    /** the training images, relative to the repository root */
    data: "../shared/data/train/bsds400",
    photo: { width: 2000, height: 1336 },
    /**
     * L0–L2: iterations per timed step, a window of the trainer's loop between two of its pauses (one step in
     * flight while the next is sampled and recorded; none at the window's ends); times are per iteration
     */
    window: 8,
  },
} as const;

/** the student workloads: S1 (inference) and S2 (training step) of each architecture of bench/lib/students.ts */
export const STUDENT_WORKLOADS = ["S1-vdsr", "S1-idn", "S1-carn", "S1-carn-m", "S2-vdsr", "S2-idn", "S2-carn", "S2-carn-m"] as const;
export type StudentWorkload = (typeof STUDENT_WORKLOADS)[number];
export const WORKLOADS = ["B0", "B1", "B2", "B3", "L0", "L1", "L2", "L3", ...STUDENT_WORKLOADS] as const;
export type WorkloadName = (typeof WORKLOADS)[number];
/** what bench/run.ts and the workers run when not told (--only): the B workloads; the L ones take minutes each */
export const DEFAULT_WORKLOADS: readonly WorkloadName[] = ["B0", "B1", "B2", "B3"];
/** the loop workloads (the trainer's iteration, the upscale command), which only the engine and PyTorch implement */
export const isLoopWorkload = (w: string): boolean => w.startsWith("L");
/** the student workloads (S1-<arch>, S2-<arch>), which only the engine and PyTorch implement */
export const isStudentWorkload = (w: string): w is StudentWorkload => (STUDENT_WORKLOADS as readonly string[]).includes(w);
/** the architecture of a student workload: S2-carn-m → carn-m */
export function studentArchOf(w: string): StudentArch {
  if (!isStudentWorkload(w)) throw new Error(`${w} is not a student workload (${STUDENT_WORKLOADS.join(", ")})`);
  return w.slice(3) as StudentArch;
}

export const DESCRIPTIONS: Record<WorkloadName, string> = {
  B0: "PISR teacher step ×4 (encoder on HR 192² + FSRCNN, L1 + 1e-4·imitation, Adam), batch 16",
  B1: "FSRCNN ×4 training step (LR 48² → HR 192², L1, Adam), batch 16",
  B2: "PISR student step ×4 (frozen teacher fwd on HR + student fwd/bwd + VID Laplace, Adam), batch 16",
  B3: "FSRCNN ×4 inference 480×270 → 1920×1080, batch 1",
  L0: "PISR teacher training iteration ×4 as train/trainer.ts runs it (bsds400 batch of HR 96² patches, flips/transpose, upload, encoder + FSRCNN, L1 + 1e-4·imitation, Adam, 3 loss terms read back while the next iteration runs), batch 16",
  L1: "FSRCNN ×4 training iteration as train/trainer.ts runs it (bsds400 batch of LR 24² → HR 96² patches, flips/transpose, upload, L1, Adam, loss read back while the next iteration runs), batch 16",
  L2: "PISR student training iteration ×4 as train/trainer.ts runs it (bsds400 batch, flips/transpose, upload, frozen teacher fwd on HR + student fwd/bwd + VID Laplace, Adam, 3 loss terms read back while the next iteration runs), batch 16",
  L3: `upscale ×4 of a ${W.loop.photo.width}×${W.loop.photo.height} photo, file to file (PNG decode, RGB→YCbCr, FSRCNN on Y, Cb/Cr bicubic, YCbCr→RGB, PNG encode + write of ${W.loop.photo.width * 4}×${W.loop.photo.height * 4}), random weights`,
  ...studentDescriptions(),
};

function studentDescriptions(): Record<StudentWorkload, string> {
  const what: Record<StudentArch, string> = {
    vdsr: "VDSR (Y; bicubic ×4 first, 20 3×3 convs at HR size)",
    idn: "IDN (Y; 4 distillation blocks, 17×17 transposed conv, bicubic skip)",
    carn: "CARN (RGB; 3 cascading blocks, 2 pixel-shuffle ×2 stages)",
    "carn-m": "CARN-M (RGB; grouped convs, shared residual block, 2 pixel-shuffle ×2 stages)",
  };
  const { width, height } = STUDENT_SIZES.infer, { batch, lrPatch } = STUDENT_SIZES.train, s = STUDENT_SIZES.scale;
  return Object.fromEntries(STUDENT_ARCHS.flatMap((a) => [
    [`S1-${a}`, `${what[a]} ×${s} inference ${width}×${height} → ${width * s}×${height * s}, batch 1`],
    [`S2-${a}`, `${what[a]} ×${s} training step (LR ${lrPatch}² → HR ${lrPatch * s}², L1, Adam), batch ${batch}`],
  ])) as Record<StudentWorkload, string>;
}

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

/** The convolutions of one training step of `stage` on N LR patches of P×P (HR: P·scale). */
function trainingConvs(stage: "teacher" | "baseline" | "student", N: number, P: number): ConvCost[] {
  switch (stage) {
    case "baseline":
      return fsrcnnConvs(N, P, P, 2, 3);
    case "teacher":
      // the decoder's first conv takes the encoder's output, which needs a gradient: every decoder conv is ×3
      return [...encoderConvs(N, P, P, 2, 3), ...fsrcnnConvs(N, P, P, 3, 3)];
    case "student":
      return [
        ...encoderConvs(N, P, P, 1, 1).map((c) => ({ ...c, layer: `teacher ${c.layer}` })),
        ...fsrcnnConvs(N, P, P, 1, 1, "teacher "),
        ...fsrcnnConvs(N, P, P, 2, 3, "student "),
        ...vidConvs(N, P, P),
      ];
  }
}

/** The size of the photo L3 upscales (W.loop.photo unless another one was given: bench/run.ts --photo). */
export interface PhotoSize {
  width: number;
  height: number;
}

/**
 * S1: the network's forward on the 480×270 image; S2: its training step on batch 16 of LR 48² (the first conv reads
 * the data, so no input gradient: f = 2; the others f = 3), counted from bench/lib/students.ts's layer tables.
 */
function studentCosts(name: StudentWorkload): ConvCost[] {
  const arch = studentArchOf(name);
  if (name.startsWith("S1-")) {
    const { width, height } = STUDENT_SIZES.infer;
    return studentConvs(arch, height, width).map((c) => ({ layer: c.layer, macs: convMacs(c), factor: 1 }));
  }
  const { batch, lrPatch } = STUDENT_SIZES.train;
  return studentConvs(arch, lrPatch, lrPatch).map((c, i) => ({ layer: c.layer, macs: batch * convMacs(c), factor: i === 0 ? 2 : 3 }));
}

export function convCosts(name: WorkloadName, photo: PhotoSize = W.loop.photo): ConvCost[] {
  if (isStudentWorkload(name)) return studentCosts(name);
  const { batch: N, lrPatch: P } = W.train;
  const { batch: LN, hrPatch } = W.loop, LP = hrPatch / W.scale;
  switch (name) {
    case "B0":
      return trainingConvs("teacher", N, P);
    case "B1":
      return trainingConvs("baseline", N, P);
    case "B2":
      return trainingConvs("student", N, P);
    case "B3":
      return fsrcnnConvs(1, W.infer.height, W.infer.width, 1, 1);
    case "L0":
      return trainingConvs("teacher", LN, LP);
    case "L1":
      return trainingConvs("baseline", LN, LP);
    case "L2":
      return trainingConvs("student", LN, LP);
    case "L3":
      // the network's forward on the whole photo's Y; the margins the tiles overlap by are not counted
      return fsrcnnConvs(1, photo.height, photo.width, 1, 1);
  }
  throw new Error(`no FLOP count for workload ${name}`);
}

/** Nominal FLOPs of one unit of work: Σ over its convolutions of 2 · MACs · factor (bias, PReLU, loss, Adam not counted). */
export function workloadFlops(name: WorkloadName, photo?: PhotoSize): number {
  return convCosts(name, photo).reduce((a, c) => a + 2 * c.macs * c.factor, 0);
}

export const FLOP_FORMULA =
  "FLOPs = Σ_conv 2·MACs·f, MACs(conv) = N·O·Ho·Wo·C·k², MACs(transposed conv) = N·C·H·W·O·k²; " +
  "f = 1 for a forward only (B3, B2's frozen teacher), 3 for a trained conv (forward + dX + dW), 2 for a trained conv " +
  "whose input is the data (no dX: the first conv of B1 and of B2's student, the encoder's first conv in B0); " +
  "bias, PReLU, losses and Adam are not counted; L0–L2 count as B0–B2 at LR 24² (HR patch 96); L3 counts the network's " +
  "forward on the whole photo only (not the tiles' overlap, decode, colour conversion, chroma bicubic or PNG encode); " +
  "S1/S2 count the students' convs alike (a grouped conv: Cin/g·O·Ho·Wo·k² per image; VDSR's at HR size), S1 the forward " +
  "on one 480×270 image (not the tiles' overlap where the engine tiles it), S2 a step on batch 16 of LR 48² (f = 2 for the first " +
  "conv, 3 for the others; the same count whether or not the engine splits the batch into micro-batches); the bicubic ×4 " +
  "(VDSR's input, IDN's skip), ReLUs, pixel shuffles, concatenations and mean shifts are not counted";

export interface WorkerArgs {
  only: WorkloadName[];
  runs: number;
  runsGiven: boolean;
  warmup: number;
  backend: string;
  /** serve one workload step by step over stdin/stdout (bench/run.ts's paired mode; the protocol is described at parseWorkerArgs) */
  serve: boolean;
  /** L0–L2: the folder of training images (default W.loop.data); null when not given */
  data: string | null;
  /** L3: the photo to upscale (default: bench/lib/photo.ts builds it); null when not given */
  photo: string | null;
}

/**
 * A comma-separated list of workloads, any case: each item a workload's name, or else a prefix of names (S: every
 * student workload, S1: the four inferences, S2-carn: S2-carn only, as an exact name wins; B: B0–B3). In order,
 * without repeats.
 */
export function parseWorkloadList(s: string): WorkloadName[] {
  const out: WorkloadName[] = [];
  for (const item of s.split(",").map((x) => x.trim()).filter(Boolean)) {
    const key = item.toLowerCase();
    const exact = WORKLOADS.find((w) => w.toLowerCase() === key);
    const names = exact ? [exact] : WORKLOADS.filter((w) => w.toLowerCase().startsWith(key));
    if (!names.length) {
      const plain = WORKLOADS.filter((w) => !isStudentWorkload(w));
      throw new Error(`unknown workload "${item}" (${plain.join(", ")}), nor a student's (S1-<arch>, S2-<arch>, <arch> one of ${STUDENT_ARCHS.join(", ")}), nor a prefix of names (S, S1, S2, B, L)`);
    }
    for (const n of names) if (!out.includes(n)) out.push(n);
  }
  return out;
}

/**
 * --only B0,B1 --runs N --warmup N --backend X [--serve] [--data DIR] [--photo PATH] (the same flags the peers
 * take; --data and --photo matter to the L workloads only). With --serve a worker prepares its one workload, runs
 * the warm-up steps and prints {"ready": name}; then each line "step" on stdin runs one timed step and prints
 * {"step_ms": t}, and "end" prints the usual result line (over the served steps) and exits. bench/run.ts
 * alternates two such workers step by step, so that a slow minute of this shared machine falls on both sides of a
 * ratio alike.
 */
export function parseWorkerArgs(argv: string[], defaults: { backend: string }): WorkerArgs {
  const o: WorkerArgs = { only: [...DEFAULT_WORKLOADS], runs: 5, runsGiven: false, warmup: 2, backend: defaults.backend, serve: false, data: null, photo: null };
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
    else if (a === "--data") o.data = v();
    else if (a === "--photo") o.photo = v();
    else throw new Error(`unknown argument "${a}"`);
  }
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error("--runs must be a positive integer");
  if (!Number.isInteger(o.warmup) || o.warmup < 1) throw new Error("--warmup must be a positive integer");
  if (o.serve && o.only.length !== 1) throw new Error("--serve takes exactly one workload (--only B1)");
  return o;
}
