// The layers of PISR's training and inference with the conv kernels' weight sharing through subgroups off and on
// (GpuRuntime.subgroupMinSize 0, then the device's), alternated round by round in one process, as bench/NOTES.md's
// "A/B method" asks: runs minutes apart differ by up to ±40% on these VMs.
//   bun bench/ab-lanes.ts [--only enc_s4_fwd,enc_s4_dx,…] [--rounds 7] [--calls 3]
// Prints the median ms per call of each layer both ways. Random inputs; nothing is asserted.

import { conv2d, convTranspose2d, noGrad, Tensor, tidy } from "../engine/index.ts";
import { WebGpuBackend } from "../engine/webgpu/backend.ts";
import { flagValue } from "./lib/util.ts";

const rounds = Number(flagValue("--rounds", "7")), calls = Number(flagValue("--calls", "3"));
const be = await WebGpuBackend.create();
const lanes = be.rt.subgroupMinSize;
if (lanes === 0) throw new Error(`${be.description}: no subgroups, nothing to compare`);

const random = (shape: number[]) => Tensor.fromArray(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => Math.random() - 0.5), shape, { backend: be });
const stride4 = { stride: 4, padding: 2 }, stride4T = { ...stride4, outputPadding: 3 };
const x = { hr96: random([16, 56, 96, 96]), hr192: random([16, 56, 192, 192]), lr24: random([16, 56, 24, 24]), lr48: random([16, 56, 48, 48]) };
const w = { s4: random([56, 56, 5, 5]), vid: random([56, 56, 1, 1]), map: random([12, 12, 3, 3]), expand: random([56, 12, 1, 1]), shrink: random([12, 56, 1, 1]) };
const map24 = random([16, 12, 24, 24]), map1080 = random([1, 12, 270, 480]);
const layers: Record<string, () => Tensor> = {
  enc_s4_fwd: () => conv2d(x.hr96, w.s4, null, stride4), // the teacher encoder's 5×5 stride-4 layer, HR 96
  enc_s4_fwd192: () => conv2d(x.hr192, w.s4, null, stride4),
  enc_s4_dx: () => convTranspose2d(x.lr24, w.s4, null, stride4T), // its input gradient
  enc_s4_dx192: () => convTranspose2d(x.lr48, w.s4, null, stride4T),
  vid_1x1: () => conv2d(x.lr24, w.vid), // the VID estimator's 1×1 56→56, LR 24
  shrink_1x1: () => conv2d(x.lr24, w.shrink),
  map_3x3: () => conv2d(map24, w.map, null, { padding: 1 }),
  expand_1x1: () => conv2d(map24, w.expand),
  map_1080p: () => conv2d(map1080, w.map, null, { padding: 1 }), // B3's mapping layer
};
const only = flagValue("--only", Object.keys(layers).join(",")).split(",");
for (const name of only) if (!layers[name]) throw new Error(`--only: unknown layer "${name}" (${Object.keys(layers).join(", ")})`);

const times = new Map<string, number[]>();
for (let round = 0; round <= rounds; round++) {
  for (const n of round % 2 ? [lanes, 0] : [0, lanes]) {
    be.rt.subgroupMinSize = n;
    for (const name of only) {
      const t0 = performance.now();
      const y = tidy(() => noGrad(() => Array.from({ length: calls }, layers[name]!).at(-1)!));
      await y.toArray();
      y.dispose();
      const ms = (performance.now() - t0) / calls;
      if (round > 0) times.set(`${name}/${n}`, [...(times.get(`${name}/${n}`) ?? []), ms]); // round 0 compiles
    }
  }
}
const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
console.log(`${be.description}; ${rounds} rounds of ${calls} calls, median ms per call`);
console.log("| layer | lanes load their own weights | lanes share them |\n|---|---:|---:|");
for (const name of only) console.log(`| ${name} | ${median(times.get(`${name}/0`)!).toFixed(1)} | ${median(times.get(`${name}/${lanes}`)!).toFixed(1)} |`);
