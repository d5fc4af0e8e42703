import conv2dWgsl from "../../../shaders/conv2d.wgsl" with { type: "text" };
import weightGradWgsl from "../../../shaders/conv2d_weight_grad.wgsl" with { type: "text" };
import weightGradVec4Wgsl from "../../../shaders/conv2d_weight_grad_vec4.wgsl" with { type: "text" };
import weightGradBlockWgsl from "../../../shaders/conv2d_weight_grad_block.wgsl" with { type: "text" };
import weightGradLanesWgsl from "../../../shaders/conv2d_weight_grad_lanes.wgsl" with { type: "text" };
import weightGradRows4Wgsl from "../../../shaders/conv2d_weight_grad_rows4.wgsl" with { type: "text" };
import weightGradSumWgsl from "../../../shaders/conv2d_weight_grad_sum.wgsl" with { type: "text" };
import convTransposeWgsl from "../../../shaders/conv_transpose2d.wgsl" with { type: "text" };
import phaseWeightsWgsl from "../../../shaders/phase_weights.wgsl" with { type: "text" };
import type { ConvGeometry } from "../../backend.ts";
import { convOutSize, convTransposeOutSize, type Shape4 } from "../../shape.ts";
import { GpuRuntime, Params } from "../runtime.ts";

const blocks = (n: number, size: number) => Math.ceil(n / size);

/**
 * Grid of the forward kernels: (item groups, output-channel blocks). The items of every image of the batch are
 * numbered in one range, so workgroups are full: a workgroup per image left a quarter of its lanes on clamped items
 * where an image has 48 (a 24-row LR patch, 2 column blocks), and those lanes cost as much as live ones
 * (bench/NOTES.md, entry 48). The groups loop past the grid's limit.
 */
function convGrid(rt: GpuRuntime, op: string, items: number, outBlocks: number): [number, number, number] {
  if (outBlocks > rt.maxGroups) throw new Error(`${op}: ${outBlocks} output-channel blocks exceed this device's ${rt.maxGroups} workgroups per grid dimension`);
  return [Math.min(Math.ceil(items / 64), rt.maxGroups), outBlocks, 1];
}

/**
 * Output channels per invocation: the first of `preferred` that divides O and is at most `most`, so no
 * accumulator is wasted (4, with unused channels, when only 1 would divide a larger O).
 */
function channelBlock(outChannels: number, most: number, preferred: number[]): number {
  return preferred.find((d) => outChannels % d === 0 && d <= most && (d > 1 || outChannels === 1)) ?? 4;
}

/**
 * Output channels per invocation of the forward conv, whose tile is OT × XT = 16 output columns: 8 where it
 * divides O, else 6, else 4 … (FSRCNN's 56 channels 8×16, its 12 channels 6×16), but at most 4 with one input
 * channel and a window in registers, where the accumulators are what spills (bench/NOTES.md, entries 10 and 24).
 */
const TILE_COLUMNS = 16;

/**
 * Output columns per invocation: 16, unless 12 or 8 leaves fewer columns computed past the row's end (every
 * invocation computes all XT; a row of 24 — LR patches of 24, the teacher encoder's stride-4 output at HR 96 —
 * took two blocks of 16, a third of them wasted). Multiples of 4, for the vec4 stores.
 */
function tileColumns(WO: number): number {
  const waste = (xt: number) => blocks(WO, xt) * xt - WO;
  return [TILE_COLUMNS, 12, 8].reduce((best, xt) => (waste(xt) < waste(best) ? xt : best));
}
function channelsPerTile(outChannels: number, inChannels: number, windowed: boolean): number {
  return channelBlock(outChannels, inChannels === 1 && windowed ? 4 : 8, [8, 6, 4, 7, 5, 3, 2, 1]);
}

/**
 * The forward conv's tile. A strided layer whose weights its lanes share (weightSharing) takes 4 columns, whose
 * (4 − 1)·SW + KW inputs fit a window, and up to 16 channels: the teacher encoder's 5×5 stride-4 layer at HR 96
 * ran 14×4 in 100–113 ms, 16×4 100–126, 8×4 106–118, 28×4 110, 8×12 (before) 128–134 (bench/NOTES.md, entry 43).
 * With weights loaded per lane, wider channel blocks cost a weight load per multiply-add they add (entry 37).
 * Shared weights at stride 1 make 12 channels worth it where 8 does not divide O but 12 does (FSRCNN's 12-channel
 * layers and the input gradients into them), in 12 columns: its mapping layer at LR 24 6×12 1.62–1.83 ms → 12×12
 * 1.41–1.49 (12×16 2.94: spills), its shrinking layer 1.64 → 1.10, both at 1080p 15.5 → 14.4 and 13.7 → 11.7
 * (entry 47).
 */
function forwardTile(O: number, C: number, [W, WO]: [number, number], KW: number, SW: number, shared: boolean): { ot: number; xt: number } {
  if (shared && SW > 1 && C > 1 && inputWindow(W, KW, SW, 4) > 0) return { ot: channelBlock(O, 16, [16, 14, 12, 8, 6, 4, 7, 5, 3, 2, 1]), xt: 4 };
  if (shared && SW === 1 && C > 1 && O % 8 !== 0 && O % 12 === 0) return { ot: 12, xt: 12 };
  const xt = tileColumns(WO);
  return { ot: channelsPerTile(O, C, inputWindow(W, KW, SW, xt) > 0), xt };
}

/**
 * The inputs the forward conv keeps in registers per row: the (XT − 1)·SW + KW that an invocation's XT outputs
 * read, when that is at most WINDOW_MAX; else 0 (no window). A 1×1 kernel reuses no input, but its window is worth
 * loading when it can be read as vec4s (entry 23).
 */
function inputWindow(W: number, KW: number, SW: number, xt: number): number {
  const span = (xt - 1) * SW + KW;
  return (KW > 1 || W % 4 === 0) && span <= WINDOW_MAX ? span : 0;
}

/**
 * Tile of the transposed conv: OT output channels × XT quotients × RT column phases. A single output channel
 * takes every phase (RT = SW), so one input window feeds SW·XT outputs; there SW·XT stays at 32 above stride 1
 * (FSRCNN's ×4 layer: XT 16 took 116 ms, 8 took 44 ms). Wider layers keep one phase per invocation (their weight
 * loads would grow with SW: the teacher encoder's stride-4 input gradient took 3.2 s with every phase, 0.84 s with
 * one; bench/NOTES.md, entry 11), 8 channels where they divide O, and as many quotients as the forward conv
 * takes columns for a row of `quotients` (that layer at HR 96, 24 per residue: 8×12 120 ms, 8×8 155, 8×16 142,
 * 4×12 150; entry 42). Where the lanes share their weights (weightSharing), up to 16 channels and then at most 168
 * accumulators: 14×12 116–123 ms, 8×12 140–151, 14×8 124, 16×12 161 (wasted channels), 28×8 140, 14×24 393; at
 * HR 192 14×12 560 ms, 8×16 634 (entry 43).
 */
function transposedTile(outChannels: number, sw: number, quotients: number, shared: boolean): { ot: number; xt: number; rt: number } {
  if (outChannels === 1) return { ot: 1, xt: sw > 1 ? Math.max(1, Math.floor(32 / sw)) : 16, rt: sw };
  if (shared) {
    const ot = channelBlock(outChannels, 16, [16, 14, 12, 8, 6, 4, 7, 5, 3, 2, 1]);
    let xt = tileColumns(quotients);
    while (xt > 4 && ot * xt > 168) xt -= 4;
    return { ot, xt, rt: 1 };
  }
  const ot = channelBlock(outChannels, 8, [8, 4, 6, 7, 5, 3, 2, 1]);
  return { ot, xt: tileColumns(quotients), rt: 1 };
}

/**
 * Longest input window the forward conv keeps in registers: an invocation's XT outputs read (XT − 1)·SW + KW
 * consecutive inputs of a row, loaded once instead of XT·KW times (bench/NOTES.md, entry 16).
 */
const WINDOW_MAX = 24;

function tiled(code: string, t: { ot: number; xt: number }): string {
  return `const OT: u32 = ${t.ot}u;\nconst XT: u32 = ${t.xt}u;\n${code}`;
}

/**
 * Binding 2 of a convolution kernel, the weights, and its accessor `weight(i)`. A uniform buffer when they fit:
 * lavapipe loads from one at about half the cost of a storage load (bench/NOTES.md, entry 10).
 */
function weightBinding(rt: GpuRuntime, w: GPUBuffer, floats: number): { code: string; key: string } {
  if (rt.fitsUniform(floats) && w.usage & GPUBufferUsage.UNIFORM) {
    const vec4s = GpuRuntime.bytesFor(floats) / 16;
    return {
      code: `@group(0) @binding(2) var<uniform> w: array<vec4f, ${vec4s}>;\nfn weight(i: u32) -> f32 { return w[i >> 2u][i & 3u]; }\n` +
        "fn weight4(q: u32) -> vec4f { return w[q]; }\n",
      key: `uniform${vec4s}`,
    };
  }
  return {
    code: "@group(0) @binding(2) var<storage, read> w: array<f32>;\nfn weight(i: u32) -> f32 { return w[i]; }\n" +
      "fn weight4(q: u32) -> vec4f { return vec4f(w[4u * q], w[4u * q + 1u], w[4u * q + 2u], w[4u * q + 3u]); }\n",
    key: "storage",
  };
}

/**
 * Binding 1 of a forward convolution, its input, with two accessors: `input(i)`, and `input_window(row, ix0)`,
 * the `count` inputs of a row from column ix0 on, zero outside [0, W). Where rows are aligned (W % 4 = 0) and
 * every window starts `lead` columns into a vec4, windows are read as vec4s: on lavapipe a vec4 load costs about
 * two scalar loads (bench/NOTES.md, entry 23).
 */
function inputBinding(W: number, count: number, lead: number | null): { code: string; key: string } {
  const n = Math.max(count, 1);
  if (W % 4 !== 0 || lead === null) {
    return {
      code: `@group(0) @binding(1) var<storage, read> x: array<f32>;
fn input(i: i32) -> f32 { return x[i]; }
fn input_window(row: i32, ix0: i32) -> array<f32, ${n}> {
  var v: array<f32, ${n}>;
  let W = i32(p.W);
  for (var m = 0; m < ${count}; m++) { let ix = ix0 + m; v[m] = select(0.0, x[row + clamp(ix, 0, W - 1)], ix >= 0 && ix < W); }
  return v;
}
`,
      key: "",
    };
  }
  // vec4 k of the window holds columns ix0 − lead + 4k … +3; a vec4 lies wholly inside or outside its row
  return {
    code: `@group(0) @binding(1) var<storage, read> x: array<vec4f>;
fn input(i: i32) -> f32 { return x[i >> 2u][i & 3]; }
fn input_window(row: i32, ix0: i32) -> array<f32, ${n}> {
  var v: array<f32, ${n}>;
  let W4 = i32(p.W / 4u);
  let c0 = (ix0 - ${lead}) / 4;
  for (var k = 0; k < ${Math.ceil((lead + count) / 4)}; k++) {
    let c = c0 + k;
    let q = select(vec4f(0.0), x[row / 4 + clamp(c, 0, W4 - 1)], c >= 0 && c < W4);
    for (var e = 0; e < 4; e++) {
      let m = 4 * k + e - ${lead};
      if (m >= 0 && m < ${count}) { v[m] = q[e]; }
    }
  }
  return v;
}
`,
    key: "/in4",
  };
}

/**
 * Binding 4 of the forward conv, its output, with two stores: `store1(i, v)` of one value and `store4(i4, v)` of
 * the four from index 4·i4 on; and the constant STORE4, whether the kernel stores its rows as vec4s (they are
 * then a multiple of 4 wide, and an invocation's XT outputs start at a multiple of 4): on lavapipe a vec4 store
 * costs little more than a scalar one (bench/NOTES.md, entry 26).
 */
function outputBinding(vec4: boolean, name = "y", binding = 4, suffix = ""): { code: string; key: string } {
  const [store1, store4] = [`store1${suffix}`, `store4${suffix}`];
  if (!vec4) {
    return {
      code: `@group(0) @binding(${binding}) var<storage, read_write> ${name}: array<f32>;
const STORE4${suffix} = false;
fn ${store1}(i: u32, v: f32) { ${name}[i] = v; }
fn ${store4}(i4: u32, v: vec4f) { for (var e = 0u; e < 4u; e++) { ${name}[4u * i4 + e] = v[e]; } }
`,
      key: "",
    };
  }
  return {
    code: `@group(0) @binding(${binding}) var<storage, read_write> ${name}: array<vec4f>;
const STORE4${suffix} = true;
fn ${store1}(i: u32, v: f32) { ${name}[i >> 2u][i & 3u] = v; }
fn ${store4}(i4: u32, v: vec4f) { ${name}[i4] = v; }
`,
    key: "/out4",
  };
}

/** The column offset of a window start within its vec4 when every start is ≡ that mod 4, else null. */
function leadOf(startStep: number, startOffset: number): number | null {
  return startStep % 4 === 0 ? ((startOffset % 4) + 4) % 4 : null;
}

/** The window as compile-time constants: loops over it unroll and their index arithmetic folds (entry 10). */
function windowConsts(KH: number, KW: number, g: ConvGeometry): { code: string; key: string } {
  const [sh, sw] = g.stride, [ph, pw] = g.padding;
  return {
    code: `const KH: u32 = ${KH}u;\nconst KW: u32 = ${KW}u;\nconst SH: u32 = ${sh}u;\nconst SW: u32 = ${sw}u;\nconst PH: u32 = ${ph}u;\nconst PW: u32 = ${pw}u;\n`,
    key: `k${KH}x${KW}s${sh}x${sw}p${ph}x${pw}`,
  };
}

/**
 * How the forward conv's lanes get their weights. Every lane of a workgroup reads the same OT channels' weights,
 * and on lavapipe a storage or uniform load pays per lane even when the address is the same in all of them
 * (bench/NOTES.md, entry 32). With subgroups (at least LANES = min(subgroup size, OT) lanes), lane l loads the
 * weights of channels o0 + l + k·LANES alone (LOADS of them) and `share_weights` hands every lane all OT by
 * subgroup broadcasts (≈ 0.2 ns each on lavapipe): the encoder's stride-4 layer 197 → 124 ms (entry 43).
 */
function weightSharing(rt: GpuRuntime, ot: number, shared: boolean): { code: string; key: string } {
  if (!shared) {
    // the entry point takes a Lane either way; here its builtin goes unread
    return {
      code: "const SHARED = false;\nconst LANES: u32 = 1u;\nconst LOADS: u32 = 1u;\nstruct Lane { @builtin(global_invocation_id) unused: vec3u }\nfn lane_index(l: Lane) -> u32 { return 0u; }\n" +
        "fn share_weights(v: array<f32, LOADS>) -> array<f32, OT> { return array<f32, OT>(); }\n",
      key: "",
    };
  }
  const S = Math.min(rt.subgroupMinSize, ot);
  const lanes = Array.from({ length: ot }, (_, j) => `subgroupBroadcast(v[${Math.floor(j / S)}], ${j % S}u)`).join(", ");
  return {
    code: `enable subgroups;\nconst SHARED = true;\nconst LANES: u32 = ${S}u;\nconst LOADS: u32 = ${Math.ceil(ot / S)}u;\nstruct Lane { @builtin(subgroup_invocation_id) id: u32 }\n` +
      `fn lane_index(l: Lane) -> u32 { return l.id; }\nfn share_weights(v: array<f32, LOADS>) -> array<f32, OT> { return array<f32, OT>(${lanes}); }\n`,
    key: "/shared",
  };
}

/**
 * `together(lane, ry, r0)`: whether every lane of this subgroup has the transposed conv's row phase ry and residue
 * r0, hence the same taps, so that its lanes can share their weights. Items are ordered so that runs of M·q_blocks
 * share them; this checks rather than assumes how an implementation groups invocations into subgroups.
 */
function togetherCode(shared: boolean): string {
  if (!shared) return "fn together(l: Lane, ry: u32, r0: u32) -> bool { return false; }\n";
  // the branch it guards is uniform in each subgroup, which WGSL's analysis cannot see
  return "diagnostic(off, subgroup_uniformity);\nfn together(l: Lane, ry: u32, r0: u32) -> bool {\n" +
    "  return subgroupAll((ry == subgroupBroadcastFirst(ry)) & (r0 == subgroupBroadcastFirst(r0)));\n}\n";
}

/** A PReLU after a conv: its slopes, and whether the pre-activation is stored too (a backward needs it). */
export interface ConvPrelu {
  slope: GPUBuffer;
  perChannel: boolean;
  /** the pre-activation's buffer (binding 4, as without a PReLU); the activation then goes to binding 6 */
  keepPre?: boolean;
}

/**
 * How a result v of output channel o is stored (`emit1`, and `emit4` for 4 neighbours): as it is; through a PReLU
 * whose slopes are binding 5 (so a PReLU after the convolution costs no pass of its own); or both, the
 * pre-activation at binding 4 and the activation at binding 6, for a training step, whose backward needs the
 * pre-activation (one pass less than a PReLU pass after the convolution).
 */
function epilogue(prelu: Omit<ConvPrelu, "slope"> | null, vec4: boolean): { code: string; key: string } {
  if (!prelu) return { code: "fn emit1(i: u32, v: f32, o: u32) { store1(i, v); }\nfn emit4(i4: u32, v: vec4f, o: u32) { store4(i4, v); }\n", key: "" };
  const a = prelu.perChannel ? "slope[o]" : "slope[0]";
  const slope = `@group(0) @binding(5) var<storage, read> slope: array<f32>;
fn act1(v: f32, o: u32) -> f32 { return select(${a} * v, v, v > 0.0); }
fn act4(v: vec4f, o: u32) -> vec4f { return select(${a} * v, v, v > vec4f(0.0)); }
`;
  const key = prelu.perChannel ? "/prelu-c" : "/prelu";
  if (!prelu.keepPre) {
    return { code: slope + "fn emit1(i: u32, v: f32, o: u32) { store1(i, act1(v, o)); }\nfn emit4(i4: u32, v: vec4f, o: u32) { store4(i4, act4(v, o)); }\n", key };
  }
  return {
    code: slope + outputBinding(vec4, "post", 6, "_post").code +
      "fn emit1(i: u32, v: f32, o: u32) { store1(i, v); store1_post(i, act1(v, o)); }\n" +
      "fn emit4(i4: u32, v: vec4f, o: u32) { store4(i4, v); store4_post(i4, act4(v, o)); }\n",
    key: `${key}/keep`,
  };
}

/**
 * The direct convolution. `flipped`: w is a transposed conv's [C, O, KH, KW], read transposed and rotated by 180°
 * (see convTranspose2d); wShape is still given as the convolution's [O, C, KH, KW].
 */
export function conv2d(
  rt: GpuRuntime, x: GPUBuffer, xShape: Shape4, w: GPUBuffer, wShape: Shape4, bias: GPUBuffer | null, g: ConvGeometry,
  prelu: Omit<ConvPrelu, "keepPre"> | null = null, flipped = false,
): GPUBuffer {
  return conv2dOutputs(rt, x, xShape, w, wShape, bias, g, prelu, flipped).y;
}

/** conv2d then a PReLU, both outputs kept: the pre-activation and the activation (for a training step). */
export function conv2dPreluKeep(
  rt: GpuRuntime, x: GPUBuffer, xShape: Shape4, w: GPUBuffer, wShape: Shape4, bias: GPUBuffer | null, g: ConvGeometry, slope: GPUBuffer, perChannel: boolean,
): { pre: GPUBuffer; post: GPUBuffer } {
  const r = conv2dOutputs(rt, x, xShape, w, wShape, bias, g, { slope, perChannel, keepPre: true }, false);
  return { pre: r.y, post: r.post! };
}

function conv2dOutputs(
  rt: GpuRuntime, x: GPUBuffer, [N, C, H, W]: Shape4, w: GPUBuffer, [O, , KH, KW]: Shape4, bias: GPUBuffer | null, g: ConvGeometry,
  prelu: ConvPrelu | null, flipped: boolean,
): { y: GPUBuffer; post: GPUBuffer | null } {
  const HO = convOutSize(H, KH, g.stride[0], g.padding[0]), WO = convOutSize(W, KW, g.stride[1], g.padding[1]);
  const y = rt.acquire(N * O * HO * WO);
  const post = prelu?.keepPre ? rt.acquire(N * O * HO * WO) : null;
  const shared = rt.subgroupMinSize > 0;
  const t = forwardTile(O, C, [W, WO], KW, g.stride[1], shared);
  const xwin = inputWindow(W, KW, g.stride[1], t.xt);
  const spatial = HO * blocks(WO, t.xt);
  const wb = weightBinding(rt, w, O * C * KH * KW);
  const win = windowConsts(KH, KW, g);
  const params = new Params().u32(N * spatial, C, H, W, O, HO, WO, bias ? 1 : 0, blocks(WO, t.xt), spatial);
  // windows start at column ox0·SW − PW, ox0 a multiple of XT
  const input = inputBinding(W, xwin, xwin > 0 ? leadOf(t.xt * g.stride[1], -g.padding[1]) : null);
  // an invocation's XT outputs of a row start at a multiple of XT
  const store4 = WO % 4 === 0 && t.xt % 4 === 0;
  const output = outputBinding(store4);
  const act = epilogue(prelu, store4);
  // Without a bias the weights stand in for its binding, which the shader never reads.
  const lanes = weightSharing(rt, t.ot, shared);
  rt.dispatch({
    key: `conv2d/${t.ot}x${t.xt}/${win.key}/${wb.key}/w${xwin}${input.key}${output.key}${act.key}${flipped ? "/flipped" : ""}${lanes.key}`,
    code: `const XWIN: u32 = ${xwin}u;\nconst FLIPPED = ${flipped};\n` + win.code + wb.code + input.code + output.code + act.code + tiled(lanes.code + conv2dWgsl, t),
    params, buffers: [x, w, bias ?? w, y, ...(prelu ? [prelu.slope] : []), ...(post ? [post] : [])],
    workgroups: convGrid(rt, "conv2d", N * spatial, blocks(O, t.ot)),
  });
  return { y, post };
}

export function convTranspose2d(
  rt: GpuRuntime, x: GPUBuffer, [N, C, H, W]: Shape4, w: GPUBuffer, [, O, KH, KW]: Shape4, bias: GPUBuffer | null, g: ConvGeometry,
  [HO, WO]: readonly [number, number],
): GPUBuffer {
  // At stride 1 (the input gradient of every stride-1 conv) a transposed conv is a conv with the weights
  // transposed and flipped and padding K − 1 − P: the tuned forward kernel does it (bench/NOTES.md, entry 24).
  const [ph, pw] = [KH - 1 - g.padding[0], KW - 1 - g.padding[1]];
  const noOutputPadding = HO === convTransposeOutSize(H, KH, 1, g.padding[0], 0) && WO === convTransposeOutSize(W, KW, 1, g.padding[1], 0);
  if (g.stride[0] === 1 && g.stride[1] === 1 && ph >= 0 && pw >= 0 && noOutputPadding) {
    return conv2d(rt, x, [N, C, H, W], w, [O, C, KH, KW], bias, { stride: [1, 1], padding: [ph, pw] }, null, true);
  }
  const y = rt.acquire(N * O * HO * WO);
  const [sh, sw] = g.stride, [padH, padW] = g.padding;
  // output columns by residue r = (ox + pw) mod sw and quotient q = (ox + pw) div sw
  const most = (phases: { count: number }[]) => Math.max(...phases.map((f) => f.count));
  const byResidue = phaseCounts(WO, sw, padW, false);
  const t = transposedTile(O, sw, most(byResidue), rt.subgroupMinSize > 0);
  const phases = t.rt === 1 ? byResidue : phaseCounts(WO, sw, padW, true);
  const qBlocks = blocks(most(phases), t.xt);
  // rows by phase (see the shader): sh phases of M rows each
  const M = most(phaseCounts(HO, sh, padH, false));
  const win = windowConsts(KH, KW, g);
  // taps per output phase: each invocation keeps its input window (XT + TAPS − 1 columns) in registers
  const nTaps = Math.ceil(KW / sw);
  const taps = `const TAPS: u32 = ${nTaps}u;\nconst TAPSY: u32 = ${Math.ceil(KH / sh)}u;\nconst RT: u32 = ${t.rt}u;\n`;
  // one output channel and the 4 phases of stride 4 (FSRCNN's ×4 layer): weights regrouped into a vec4 per tap
  const packed = O === 1 && sw === 4 && t.rt === 4 && rt.fitsUniform(C * KH * nTaps * 4);
  const weights = packed ? phaseWeights(rt, w, C, KH, KW, nTaps) : w;
  const wb = weightBinding(rt, weights, packed ? C * KH * nTaps * 4 : C * O * KH * KW);
  // windows of XT + TAPS − 1 inputs start at column q0 − (TAPS − 1), q0 = a residue's first quotient + a multiple
  // of XT: one dispatch per run of residues whose windows start at the same offset within a vec4
  const shared = rt.subgroupMinSize > 0 && !packed;
  const lanes = weightSharing(rt, t.ot, shared);
  const leadFor = (first: number) => (W % 4 === 0 ? leadOf(t.xt, first + 1 - nTaps) : null);
  for (const run of runsBy(phases, (f) => leadFor(f.first))) {
    const input = inputBinding(W, t.xt + nTaps - 1, run.key);
    const spatial = sh * M * run.items.length * qBlocks;
    const params = new Params().u32(N * spatial, C, H, W, O, HO, WO, bias ? 1 : 0, qBlocks, M, run.items[0].residue, run.items.length, spatial);
    rt.dispatch({
      key: `conv_transpose2d/${t.ot}x${t.xt}x${t.rt}/${win.key}/${wb.key}${input.key}${input.key ? `/lead${run.key}` : ""}${packed ? "/packed" : ""}${lanes.key}`,
      code: `const PACKED = ${packed};\n` + taps + win.code + wb.code + input.code + tiled(lanes.code + togetherCode(shared) + convTransposeWgsl, t), params,
      buffers: [x, weights, bias ?? weights, y], workgroups: convGrid(rt, "convTranspose2d", N * spatial, blocks(O, t.ot)),
    });
  }
  if (packed) rt.giveBack(weights); // the dispatches that read it run before any reuse
  return y;
}

/**
 * The phases of a transposed conv's outputs along one axis: output o (0 ≤ o < size) has residue r = (o + pad) mod
 * stride and quotient (o + pad) div stride. For each residue (or all at once, as the shader takes them with
 * RT > 1): its first quotient that is an output, ⌈(pad − r) / stride⌉ or 0 (all at once: ⌊pad / stride⌋, as the
 * shader computes it), and how many are.
 */
function phaseCounts(size: number, stride: number, pad: number, allAtOnce: boolean): { residue: number; first: number; count: number }[] {
  if (allAtOnce) {
    const first = Math.floor(pad / stride);
    return [{ residue: 0, first, count: Math.floor((size - 1 + pad) / stride) - first + 1 }];
  }
  return Array.from({ length: stride }, (_, r) => {
    const first = Math.ceil(Math.max(0, pad - r) / stride);
    const last = Math.floor((size - 1 + pad - r) / stride);
    return { residue: r, first, count: Math.max(0, last - first + 1) };
  });
}

/** Consecutive items grouped where `keyOf` gives the same key. */
function runsBy<T, K>(items: readonly T[], keyOf: (item: T) => K): { key: K; items: T[] }[] {
  const runs: { key: K; items: T[] }[] = [];
  for (const item of items) {
    const key = keyOf(item);
    if (runs.length > 0 && runs[runs.length - 1].key === key) runs[runs.length - 1].items.push(item);
    else runs.push({ key, items: [item] });
  }
  return runs;
}

/** [C, 1, KH, KW] weights as vec4s of the 4 phases of each tap (shaders/phase_weights.wgsl). */
function phaseWeights(rt: GpuRuntime, w: GPUBuffer, C: number, KH: number, KW: number, taps: number): GPUBuffer {
  const vec4s = C * KH * taps;
  const packed = rt.acquire(vec4s * 4);
  rt.dispatch({
    key: `phase_weights/k${KH}x${KW}`, code: `const KH: u32 = ${KH}u;\nconst KW: u32 = ${KW}u;\nconst TAPS: u32 = ${taps}u;\n${phaseWeightsWgsl}`,
    params: new Params().u32(C), buffers: [w, packed], workgroups: [blocks(vec4s, 64), 1, 1],
  });
  return packed;
}

/**
 * Channel block of the weight-gradient kernel: OT output × CT input channels, each with a whole kernel row of KW
 * taps, about 64 accumulators (their workgroup-memory partial sums then fit the default 16 KiB); 48 for the vec4
 * kernel with several input channels, whose sliding windows take registers too (bench/NOTES.md, entry 23).
 */
function weightGradTile(O: number, C: number, KW: number, vec4: boolean): { ot: number; ct: number } {
  // One input channel: up to 64 accumulators, all on output channels, as the largest divisor of O within them (the
  // ×4 layer's weight gradient, KW = 9: 7 channels 41 ms, 4 channels 51 ms; entry 20). The vec4 kernel once
  // stopped at 4 channels, where 7 spilled (34 → 104 ms); now 7 beats 4 there (8.7 → 7.5 ms at HR 96, 31.5 → 27.6
  // at HR 192) and 8 beats 4 on the first layer (2.35 → 2.21; entry 49).
  const accumulators = vec4 && C > 1 ? 48 : 64;
  const budget = Math.max(1, Math.floor(accumulators / KW));
  const ot = C === 1 ? largestDivisor(O, Math.min(8, budget)) : preferredDivisor(O, budget);
  const ct = preferredDivisor(C, Math.floor(accumulators / (ot * KW)));
  return { ot, ct };
}

/** The first of the weight gradients' preferred block sizes that divides n and is at most `most` (else 1). */
const preferredDivisor = (n: number, most: number) => [8, 4, 6, 7, 5, 3, 2, 1].find((d) => d <= most && n % d === 0) ?? 1;

/** The largest divisor of n that is at most `most` (1 at least). */
const largestDivisor = (n: number, most: number) => Math.max(1, ...Array.from({ length: Math.min(n, most) }, (_, i) => i + 1).filter((d) => n % d === 0));

/**
 * Whether the weight gradient's subgroups walk rows together (conv2d_weight_grad_lanes.wgsl, a lane for each pair of
 * input channel and kernel row): every subgroup of the device has the same size S, at most 3 of every 8 lanes are
 * left without a pair, and there is more than one output channel (the dy a subgroup shares). Measured against the
 * vec4 kernel in one process (bench/NOTES.md, entries 56–57, ms): the encoder's stride-4 layer at HR 96 130 → 85,
 * at HR 192 766 → 359; its 3×3 56→12 7.8 → 3.7; FSRCNN's layers at LR 24 and 48 10–45% faster, its first layer
 * (one input channel, 5 rows: 3 idle lanes) 2.4 → 1.3–1.6, the teacher's at HR 96 26–51 → 13–14; VDSR's 3×3
 * 64→64 at 192×192 553 → 253. Not with 7 of 16 lanes idle (the ×4 layer's 9 rows of one channel: 7.8 → 9.2),
 * nor with one output channel (0.59 → 0.65). Kernels up to 40 wide: a lane keeps at most 40 sums, and they meet in
 * workgroup memory.
 */
function lanesShareRows(rt: GpuRuntime, O: number, C: number, KH: number, KW: number): boolean {
  const S = rt.subgroupMinSize;
  const lanes = blocks(C * KH, S) * S;
  return S > 0 && S === rt.subgroupMaxSize && 64 % S === 0 && 8 * (lanes - C * KH) <= 3 * lanes && O > 1 && KW <= 40;
}

/**
 * The weight gradient with a subgroup's lanes on one row (see lanesShareRows), into `dw`: a lane's sums are OT output
 * channels × KW taps of its x row, at most 40 (the stride-4 layer's 8 × 5; 14 × 5 ran 5× slower, 16 × 3 5×,
 * spilled; 56 × 1 3×), OT the largest divisor of O within them. Where S divides C the workgroups run kernel row
 * first (x: ky, y: channel block), each lane on a channel of one kernel row: pairs numbered straight through ran
 * the stride-4 layer 13–16% slower (60 → 70 ms; presumably as workgroups next in line then read other channels,
 * not the neighbouring rows of the same ones).
 */
function weightGradLanes(
  rt: GpuRuntime, x: GPUBuffer, [N, C, H, W]: Shape4, dy: GPUBuffer, [, O, HO, WO]: Shape4, [KH, KW]: readonly [number, number], g: ConvGeometry, dw: GPUBuffer,
): GPUBuffer {
  const S = rt.subgroupMinSize;
  const ot = largestDivisor(O, Math.max(1, Math.floor(40 / KW)));
  const kyUniform = C % S === 0;
  const win = windowConsts(KH, KW, g);
  rt.dispatch({
    key: `conv2d_weight_grad_lanes/q${WO / 4}/${ot}/s${S}/${win.key}`,
    code: "enable subgroups;\n" +
      // the subgroup's lanes share their output row, so its loop is uniform in it: WGSL's analysis cannot see that
      "diagnostic(off, subgroup_uniformity);\n" +
      win.code + `const KY_UNIFORM = ${kyUniform};\nconst OT: u32 = ${ot}u;\nconst CT: u32 = 1u;\nconst S: u32 = ${S}u;\nconst STEPS: u32 = ${WO / 4}u;\n` + weightGradBlockWgsl + weightGradRows4Wgsl + weightGradLanesWgsl,
    params: new Params().u32(N, C, H, W, O, HO, WO), buffers: [x, dy, dw], workgroups: kyUniform ? [KH, C / S, blocks(O, ot)] : [blocks(C * KH, S), 1, blocks(O, ot)],
  });
  return dw;
}

/**
 * Output columns the scalar weight-gradient kernel takes per step: their taps share an input window, loaded
 * once. Two beat one by 10–15% on every FSRCNN/PISR layer; four spilled (bench/NOTES.md, entry 16). The vec4
 * kernel takes four, one dy vec4.
 */
const WEIGHT_GRAD_COLUMNS = 2;

export function conv2dWeightGrad(
  rt: GpuRuntime, x: GPUBuffer, [N, C, H, W]: Shape4, dy: GPUBuffer, [, O, HO, WO]: Shape4, [KH, KW]: readonly [number, number], g: ConvGeometry,
): GPUBuffer {
  const dw = rt.acquire(O * C * KH * KW);
  // rows of x and dy aligned to vec4s: the vec4 kernel (entry 23)
  const vec4 = W % 4 === 0 && WO % 4 === 0;
  if (vec4 && lanesShareRows(rt, O, C, KH, KW)) return weightGradLanes(rt, x, [N, C, H, W], dy, [N, O, HO, WO], [KH, KW], g, dw);
  const t = weightGradTile(O, C, KW, vec4);
  const partialBytes = 64 * t.ot * t.ct * KW * 4;
  if (partialBytes > rt.device.limits.maxComputeWorkgroupStorageSize) {
    throw new Error(`conv2dWeightGrad: a kernel ${KW} wide needs ${partialBytes} bytes of workgroup memory; this device has ${rt.device.limits.maxComputeWorkgroupStorageSize}`);
  }
  const win = windowConsts(KH, KW, g);
  const params = new Params().u32(N, C, H, W, O, HO, WO);
  const tile = `const OT: u32 = ${t.ot}u;\nconst CT: u32 = ${t.ct}u;\n`;
  rt.dispatch({
    key: `conv2d_weight_grad${vec4 ? `_vec4/q${WO / 4}` : ""}/${t.ot}x${t.ct}/${win.key}`,
    code: win.code + tile + weightGradBlockWgsl + weightGradSumWgsl +
      (vec4 ? `const STEPS: u32 = ${WO / 4}u;\n${weightGradRows4Wgsl}${weightGradVec4Wgsl}` : `const XB: u32 = ${WEIGHT_GRAD_COLUMNS}u;\n${weightGradWgsl}`), params,
    buffers: [x, dy, dw], workgroups: [KH, blocks(C, t.ct), blocks(O, t.ot)],
  });
  return dw;
}
