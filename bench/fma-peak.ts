// How fast a WebGPU kernel on this adapter multiplies and adds when nothing is loaded: a register tile of
// T × J accumulators, acc[t][j] += x[t] · w[j], the J weights held in registers and the T inputs computed from
// the loop counter, U such outer products per loop iteration, 256 workgroups of 64 invocations. Prints GFLOP/s
// per tile: the ceiling a conv kernel's tile could reach with free loads, and what one loop iteration costs
// (U = 1 against U = 5). bench/NOTES.md's cost model (entry 58) rests on it with bench/load-costs.ts; run it on
// another adapter or CPU before carrying that model over.
//
//   bun bench/fma-peak.ts [--runs N] [--tiles 4x8x5,4x14x5,…]   (T x J x U)

import { WebGpuBackend } from "../engine/webgpu/backend.ts";
import { Params } from "../engine/webgpu/runtime.ts";
import { flagValue, machineInfo, median } from "./lib/util.ts";

const RUNS = Number(flagValue("--runs", "5"));
// unrolled tiles of 16 to 56 accumulators; loop-bound ones (U = 1); and one flat loop of 40, which lavapipe
// leaves rolled, so its accumulators live in memory
const TILES = flagValue("--tiles", "4x4x1,4x8x1,4x4x5,4x8x5,4x14x5,8x8x5,4x4x16,4x8x8,1x32x5,1x40x5").split(",").map((s) => {
  const [t, j, u] = s.split("x").map(Number);
  if (![t, j, u].every((n) => Number.isInteger(n) && n > 0)) throw new Error(`--tiles: "${s}" is not TxJxU (three positive integers)`);
  return { t, j, u };
});
const STEPS = 256, GROUPS = 256;

const kernel = ({ t, j, u }: { t: number; j: number; u: number }) => `
struct P { extra: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  var w: array<f32, ${j}>;
  var acc: array<array<f32, ${j}>, ${t}>;
  for (var b = 0u; b < ${j}u; b++) { w[b] = x[li + b]; }
  for (var a = 0u; a < ${t}u; a++) { for (var b = 0u; b < ${j}u; b++) { acc[a][b] = 0.0; } }
  // p.extra (0) keeps the trip count from being a constant the compiler could fold the loop away with
  for (var i = 0u; i < ${STEPS}u + p.extra; i++) {
    let v = f32(i) * 1e-3 + f32(li);
    for (var k = 0u; k < ${u}u; k++) {
      for (var a = 0u; a < ${t}u; a++) {
        let xv = v + f32(k * ${t}u + a);
        for (var b = 0u; b < ${j}u; b++) { acc[a][b] += xv * w[b]; }
      }
    }
  }
  var s = 0.0;
  for (var a = 0u; a < ${t}u; a++) { for (var b = 0u; b < ${j}u; b++) { s += acc[a][b]; } }
  y[wg.x * 64u + li] = s;
}`;

const be = await WebGpuBackend.create();
const rt = be.rt;
const src = rt.acquire(1024);
rt.write(src, new Float32Array(1024).fill(1e-3));
const out = rt.acquire(64 * GROUPS);
await be.read(be.fill(4, 0)); // a small kernel first, as bench/load-costs.ts does

const name = (c: { t: number; j: number; u: number }) => `${c.t}×${c.j} × ${c.u}`;
const times = new Map(TILES.map((c) => [name(c), [] as number[]]));
for (let r = 0; r < RUNS + 1; r++) {
  for (const c of TILES) {
    const t0 = performance.now();
    rt.dispatch({ key: `fma-peak/${c.t}x${c.j}x${c.u}`, code: kernel(c), params: new Params().u32(0), buffers: [src, out], workgroups: [GROUPS, 1, 1] });
    await rt.read(out, 4);
    if (r > 0) times.get(name(c))!.push(performance.now() - t0); // the first round compiles
  }
}
const info = machineInfo();
console.log(`# FMA peak — ${info.date} · ${info.cpuModel} · ${info.cores} cores · ${be.description} · commit ${info.gitCommit}\n`);
console.log("| tile T×J × U | accumulators | median ms | GFLOP/s |\n|---|---:|---:|---:|");
for (const c of TILES) {
  const m = median(times.get(name(c))!);
  const flops = 2 * c.t * c.j * c.u * STEPS * GROUPS * 64;
  console.log(`| ${name(c)} | ${c.t * c.j} | ${m.toFixed(2)} | ${(flops / m / 1e6).toFixed(1)} |`);
}
be.destroy();
