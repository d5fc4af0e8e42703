// What one load costs in a WebGPU kernel on this adapter, by kind of memory and address: a loop of 4096 steps
// in each of 256×64 invocations, each step one load (or four, or one vec4) added to an accumulator. Prints the
// median time and the cost per step of 8 invocations (lavapipe runs 8 lanes as one SIMD vector) above the loop
// with no load. This is what bench/NOTES.md's cost model (entry 23) rests on; run it on another adapter before
// carrying that model over.
//
//   bun bench/load-costs.ts [--runs N]

import { WebGpuBackend } from "../engine/webgpu/backend.ts";
import { Params } from "../engine/webgpu/runtime.ts";
import { machineInfo, median } from "./lib/util.ts";

const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const STEPS = 4096, GROUPS = 256, LENGTH = 1 << 20;

// one step of the loop; `base` is per workgroup, `li` the lane: "lane" addresses differ between lanes
const STEP: Record<string, string> = {
  "no load": "acc = acc * 1.0001 + f32(i);",
  "storage, same address in every lane": "acc += x[(base + i) & MASK];",
  "storage, per lane": "acc += x[(base + li * 97u + i) & MASK];",
  "storage, per lane, consecutive lanes": "acc += x[(base + li + i * 64u) & MASK];",
  "storage, per lane, 4 scalars": "let a = base + li * 97u + i; acc += x[a & MASK] + x[(a + 1u) & MASK] + x[(a + 2u) & MASK] + x[(a + 3u) & MASK];",
  "storage, per lane, 1 vec4": "acc += dot(x4[(base + li * 97u + i) & (MASK >> 2u)], vec4f(1.0));",
  "uniform, same address in every lane": "acc += u[(i >> 2u) & 1023u][i & 3u];",
  "uniform, per lane": "acc += u[((li * 97u + i) >> 2u) & 1023u][i & 3u];",
  "uniform, same address in every lane, 1 vec4": "acc += dot(u[i & 1023u], vec4f(1.0));",
  "uniform, per lane, 1 vec4": "acc += dot(u[(li * 97u + i) & 1023u], vec4f(1.0));",
  "uniform, same address, 4 vec4s (16 floats)": "let q = (i * 4u) & 1023u; acc += dot(u[q] + u[q + 1u] + u[q + 2u] + u[q + 3u], vec4f(1.0));",
  "workgroup, per lane (kernel has a barrier)": "acc += sh[(li * 97u + i) & 4095u];",
};

const kernel = (step: string) => {
  const shared = step.includes("sh[");
  return `
struct P { a: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> u: array<vec4f, 1024>;
@group(0) @binding(4) var<storage, read> x4: array<vec4f>;
${shared ? "var<workgroup> sh: array<f32, 4096>;" : ""}
const MASK: u32 = ${LENGTH - 1}u;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let base = wg.x * 1031u + p.a;
  var acc = x[base & MASK] + u[0].x + x4[0].y;
  ${shared ? "for (var k = li; k < 4096u; k += 64u) { sh[k] = f32(k); }\n  workgroupBarrier();" : ""}
  for (var i = 0u; i < ${STEPS}u; i++) { ${step} }
  y[wg.x * 64u + li] = acc;
}`;
};

const be = await WebGpuBackend.create();
const rt = be.rt;
const src = rt.acquire(LENGTH);
rt.write(src, new Float32Array(LENGTH).fill(1));
const uniforms = rt.acquire(4096);
rt.write(uniforms, new Float32Array(4096).fill(1));
const out = rt.acquire(64 * GROUPS);

// One small kernel first: without it, the first pipeline of this script came back invalid in about a third of
// the runs, with no error from its creation (bun-webgpu 0.1.7, lavapipe; not seen in the engine's own kernels).
await be.read(be.fill(4, 0));

const times: Record<string, number[]> = {};
for (let r = 0; r < RUNS + 1; r++) {
  for (const [name, step] of Object.entries(STEP)) {
    const t0 = performance.now();
    rt.dispatch({ key: `load-costs/${name.replace(/[^a-z0-9]+/g, "-")}`, code: kernel(step), params: new Params().u32(0), buffers: [src, out, uniforms, src], workgroups: [GROUPS, 1, 1] });
    await rt.read(out, 4);
    if (r > 0) (times[name] ??= []).push(performance.now() - t0); // the first round compiles
  }
}
const info = machineInfo();
console.log(`# load costs — ${info.date} · ${info.cpuModel} · ${info.cores} cores · ${be.description} · commit ${info.gitCommit}\n`);
console.log("| step | median ms | ns per 8-lane step, above the loop with no load |\n|---|---:|---:|");
const vectorSteps = (GROUPS * 64 * STEPS) / 8;
const empty = median(times["no load"]);
for (const [name, t] of Object.entries(times)) {
  const m = median(t);
  console.log(`| ${name} | ${m.toFixed(1)} | ${name === "no load" ? "—" : (((m - empty) * 1e6) / vectorSteps).toFixed(2)} |`);
}
be.destroy();
