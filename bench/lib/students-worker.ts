// The engine's side of the student workloads of bench/run.ts (S1-<arch>, S2-<arch> for VDSR, IDN, CARN, CARN-M;
// bench/workloads.ts, bench/README.md "Student workloads"), a worker like bench/engine_bench.ts (same flags, same
// JSON lines, same --serve protocol), which bench/run.ts starts for the S workloads. Can be run alone:
//   bun bench/lib/students-worker.ts [--only S1-idn,S2-carn-m | S | S1 | S2] [--runs 5] [--warmup 2]
//                                    [--backend webgpu|cpu] [--serve] [--smoke] [--max-elements N]
//
//   S1-<arch>  inference, no gradient: one 480×270 LR image (batch 1; 1 channel for VDSR and IDN, RGB for CARN and
//              CARN-M) → ×4, the whole output read back. In one pass as B3 when the network's widest activation fits
//              the device's largest buffer; otherwise in the tiles infer/upscale.ts uses (the way the engine upscales
//              an image that large: each tile uploaded, run and read back), and the result line says how many.
//   S2-<arch>  one training step: batch 16, LR 48² → HR 192², L1, Adam, as B1, on fixed random tensors. When the
//              widest activation of the whole batch exceeds the largest buffer, the batch runs as the fewest
//              micro-batches that fit, each loss scaled by its share of the batch and backpropagated (the gradients
//              accumulate), then one Adam update: the same gradient as one batch. The result line says how many.
// --smoke: tiny sizes (tests: S1 20×12, S2 batch 2, LR 8²); --max-elements N: plan tiles and micro-batches for
// buffers of N values instead of the device's (tests of the tiled and micro-batched paths).

import { Adam, add, l1Loss, mul, noGrad, Tensor, tidy } from "../../engine/index.ts";
import { upscalePlanes } from "../../infer/upscale.ts";
import { makePlane } from "../../image/types.ts";
import { PisrModel } from "../../models/pisr.ts";
import { isStudentWorkload, parseWorkerArgs, studentArchOf, STUDENT_WORKLOADS } from "../workloads.ts";
import { inferencePlan, microBatches, STUDENT_SIZES, widestActivation } from "./students.ts";
import { randomArray } from "./util.ts";
import { emitMeta, openWorkerBackend, type Prepared, runWorkloads } from "./worker.ts";

/** --smoke and --max-elements are this worker's own; the rest are every worker's (bench/workloads.ts). */
function parseArgs(argv: string[]) {
  const rest: string[] = [];
  let smoke = false, maxElements: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--smoke") smoke = true;
    else if (argv[i] === "--max-elements") {
      maxElements = Number(argv[++i]);
      if (!Number.isInteger(maxElements) || maxElements < 1) throw new Error("--max-elements must be a positive integer");
    } else rest.push(argv[i]!);
  }
  const args = parseWorkerArgs(rest, { backend: "webgpu" });
  if (!rest.includes("--only")) args.only = [...STUDENT_WORKLOADS];
  for (const w of args.only) if (!isStudentWorkload(w)) throw new Error(`${w} is not a student workload (this worker runs ${STUDENT_WORKLOADS.join(", ")}; the others: bench/engine_bench.ts)`);
  return { ...args, smoke, maxElements };
}

const args = parseArgs(process.argv.slice(2));
const backendName = args.backend;

const { be, description, destroy } = await openWorkerBackend(backendName);
emitMeta(backendName, description);

const S = STUDENT_SIZES.scale;
const maxElements = args.maxElements ?? be.maxElements;
const sizes = args.smoke ? STUDENT_SIZES.smoke : STUDENT_SIZES;
const random = (shape: number[], seed: number) => randomArray(shape.reduce((a, b) => a * b, 1), seed, 0, 1);

function prepare(name: string): Prepared {
  const arch = studentArchOf(name);
  const model = new PisrModel("baseline", { scale: S }, { arch, backend: be, seed: 0 });
  const C = model.imageChannels;
  const base = { arch, channels: C, parameters: model.parameterCount(), max_elements: maxElements, ...(args.smoke ? { smoke: true } : {}) };
  if (name.startsWith("S1-")) {
    const { width: Wd, height: H } = sizes.infer;
    const plan = inferencePlan(arch, H, Wd, maxElements);
    const about = { ...base, input: [1, C, H, Wd], output: [1, C, H * S, Wd * S], widest: widestActivation(arch, H * Wd), tiles: plan.tiles, ...(plan.tile ? { tile: plan.tile, margin: plan.margin } : {}) };
    if (plan.tile === null) {
      // one pass, as B3: the input on the device, the whole output read back
      const x = Tensor.fromArray(random([1, C, H, Wd], 3), [1, C, H, Wd], { backend: be });
      return {
        step: async () => {
          const y = tidy(() => noGrad(() => model.forward(x)));
          await y.toArray();
          y.dispose();
        },
        dispose: () => {
          x.dispose();
          model.dispose();
        },
        about,
      };
    }
    // the image's planes in memory, through the network in tiles as infer/upscale.ts runs them
    const data = random([C, H, Wd], 3);
    const planes = Array.from({ length: C }, (_, c) => makePlane(Wd, H, data.subarray(c * H * Wd, (c + 1) * H * Wd)));
    const tile = plan.tile;
    return {
      step: async () => {
        await upscalePlanes(model, be, planes, { tile });
      },
      dispose: () => model.dispose(),
      about,
      note: `${plan.tiles} tile${plan.tiles === 1 ? "" : "s"}`,
    };
  }
  // S2: one training step, L1 + Adam, as B1
  const { batch: N, lrPatch: P } = sizes.train;
  const chunks = microBatches(N, widestActivation(arch, P * P), maxElements);
  const opt = new Adam(model.parameters());
  // the same batch however it is split: micro-batch i holds samples [start, start + n) of it
  const lrShape = [C, P, P], hrShape = [C, P * S, P * S];
  const lrAll = random([N, ...lrShape], 1), hrAll = random([N, ...hrShape], 2);
  const lrSize = C * P * P, hrSize = lrSize * S * S;
  let start = 0;
  const pairs = chunks.map((n) => {
    const pair = {
      n,
      lr: Tensor.fromArray(lrAll.subarray(start * lrSize, (start + n) * lrSize), [n, ...lrShape], { backend: be }),
      hr: Tensor.fromArray(hrAll.subarray(start * hrSize, (start + n) * hrSize), [n, ...hrShape], { backend: be }),
    };
    start += n;
    return pair;
  });
  /** the loss of the first two steps (before and after one update): the same whichever the micro-batches (tests) */
  const firstLosses: number[] = [];
  const about = { ...base, batch: N, lr_patch: P, hr_patch: P * S, widest: widestActivation(arch, N * P * P), micro_batches: chunks, first_losses: firstLosses };
  const check = (v: number) => {
    if (!Number.isFinite(v)) throw new Error(`loss is ${v}`);
    if (firstLosses.length < 2) firstLosses.push(v);
  };
  const step = chunks.length === 1
    ? async () => {
      // exactly B1's step
      const loss = opt.minimize(() => l1Loss(model.forward(pairs[0]!.lr), pairs[0]!.hr));
      const v = await loss.item();
      loss.dispose();
      check(v);
    }
    : async () => {
      // micro-batches: each mean loss weighted by its share of the batch, gradients accumulated, one update
      const total = tidy(() => {
        opt.zeroGrad();
        let sum: Tensor | null = null;
        for (const { n, lr, hr } of pairs) {
          // each micro-batch's graph is freed once it has been backpropagated
          const part = tidy(() => {
            const loss = mul(l1Loss(model.forward(lr), hr), n / N);
            loss.backward();
            return loss.detach();
          });
          sum = sum ? add(sum, part) : part;
        }
        opt.step();
        return sum!;
      });
      const v = await total.item();
      total.dispose();
      check(v);
    };
  return {
    step,
    dispose: () => {
      pairs.forEach(({ lr, hr }) => [lr, hr].forEach((t) => t.dispose()));
      opt.dispose();
      model.dispose();
    },
    about,
    ...(chunks.length > 1 ? { note: `${chunks.length} micro-batches` } : {}),
  };
}

await runWorkloads(args, backendName, prepare);
destroy();
