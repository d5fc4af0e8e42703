// Direct convolutions, written plainly as the reference the WGSL kernels are checked against.
// Accumulation runs in float64 (JS numbers) whatever the storage type. With channel groups (ConvGeometry.groups)
// an output channel sums over its own group's input channels only.

import { type ConvGeometry, type FloatArray, groupsOf } from "../backend.ts";
import type { Shape4 } from "../shape.ts";
import { convOutSize } from "../shape.ts";

type Alloc = (n: number) => FloatArray;

/** Output columns ox whose input column ox·s − p + k lies in [0, W). */
function validRange(outSize: number, inSize: number, stride: number, pad: number, k: number): [number, number] {
  const lo = Math.max(0, Math.ceil((pad - k) / stride));
  const hi = Math.min(outSize - 1, Math.floor((inSize - 1 + pad - k) / stride));
  return [lo, hi];
}

/** C / groups, or an error when the groups do not divide both channel counts. */
function channelsPerGroup(op: string, C: number, O: number, groups: number): number {
  if (C % groups !== 0 || O % groups !== 0) throw new Error(`${op}: ${groups} groups do not divide ${C} input and ${O} output channels`);
  return C / groups;
}

export function conv2d(
  x: FloatArray, [N, C, H, W]: Shape4, w: FloatArray, [O, Cw, KH, KW]: Shape4, bias: FloatArray | null, g: ConvGeometry, alloc: Alloc,
): FloatArray {
  const G = groupsOf(g), Cg = channelsPerGroup("conv2d", C, O, G), Og = O / G;
  if (Cw !== Cg) throw new Error(`conv2d: weight expects ${Cw * G} input channels, input has ${C}`);
  const [sh, sw] = g.stride, [ph, pw] = g.padding;
  const HO = convOutSize(H, KH, sh, ph), WO = convOutSize(W, KW, sw, pw);
  const y = alloc(N * O * HO * WO);
  const acc = new Float64Array(HO * WO);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      acc.fill(bias ? bias[o] : 0);
      const c0 = Math.floor(o / Og) * Cg; // the group's first input channel
      for (let c = 0; c < Cg; c++) {
        const xPlane = (n * C + c0 + c) * H * W;
        for (let ky = 0; ky < KH; ky++) {
          const [oy0, oy1] = validRange(HO, H, sh, ph, ky);
          for (let kx = 0; kx < KW; kx++) {
            const wv = w[((o * Cg + c) * KH + ky) * KW + kx];
            const [ox0, ox1] = validRange(WO, W, sw, pw, kx);
            for (let oy = oy0; oy <= oy1; oy++) {
              const xRow = xPlane + (oy * sh - ph + ky) * W - pw + kx;
              const aRow = oy * WO;
              for (let ox = ox0; ox <= ox1; ox++) acc[aRow + ox] += wv * x[xRow + ox * sw];
            }
          }
        }
      }
      y.set(acc, (n * O + o) * HO * WO);
    }
  }
  return y;
}

/** Scatter form: every input pixel adds w·x onto a kernel-sized window of the output. */
export function convTranspose2d(
  x: FloatArray, [N, C, H, W]: Shape4, w: FloatArray, [Cw, Og, KH, KW]: Shape4, bias: FloatArray | null, g: ConvGeometry,
  [HO, WO]: readonly [number, number], alloc: Alloc,
): FloatArray {
  if (Cw !== C) throw new Error(`convTranspose2d: weight expects ${Cw} input channels, input has ${C}`);
  const G = groupsOf(g), O = Og * G, Cg = channelsPerGroup("convTranspose2d", C, O, G);
  const [sh, sw] = g.stride, [ph, pw] = g.padding;
  const y = alloc(N * O * HO * WO);
  const acc = new Float64Array(HO * WO);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      acc.fill(bias ? bias[o] : 0);
      const group = Math.floor(o / Og);
      for (let c = group * Cg; c < (group + 1) * Cg; c++) {
        const xPlane = (n * C + c) * H * W;
        for (let ky = 0; ky < KH; ky++) {
          for (let kx = 0; kx < KW; kx++) {
            const wv = w[((c * Og + o - group * Og) * KH + ky) * KW + kx];
            for (let iy = 0; iy < H; iy++) {
              const oy = iy * sh - ph + ky;
              if (oy < 0 || oy >= HO) continue;
              for (let ix = 0; ix < W; ix++) {
                const ox = ix * sw - pw + kx;
                if (ox < 0 || ox >= WO) continue;
                acc[oy * WO + ox] += wv * x[xPlane + iy * W + ix];
              }
            }
          }
        }
      }
      y.set(acc, (n * O + o) * HO * WO);
    }
  }
  return y;
}

export function conv2dWeightGrad(
  x: FloatArray, [N, C, H, W]: Shape4, dy: FloatArray, [Nd, O, HO, WO]: Shape4, [KH, KW]: readonly [number, number], g: ConvGeometry,
  alloc: Alloc,
): FloatArray {
  if (Nd !== N) throw new Error(`conv2dWeightGrad: batch ${N} vs gradient batch ${Nd}`);
  const G = groupsOf(g), Cg = channelsPerGroup("conv2dWeightGrad", C, O, G), Og = O / G;
  const [sh, sw] = g.stride, [ph, pw] = g.padding;
  const dw = alloc(O * Cg * KH * KW);
  for (let o = 0; o < O; o++) {
    const c0 = Math.floor(o / Og) * Cg;
    for (let c = 0; c < Cg; c++) {
      for (let ky = 0; ky < KH; ky++) {
        const [oy0, oy1] = validRange(HO, H, sh, ph, ky);
        for (let kx = 0; kx < KW; kx++) {
          const [ox0, ox1] = validRange(WO, W, sw, pw, kx);
          let s = 0;
          for (let n = 0; n < N; n++) {
            const xPlane = (n * C + c0 + c) * H * W, dyPlane = (n * O + o) * HO * WO;
            for (let oy = oy0; oy <= oy1; oy++) {
              const xRow = xPlane + (oy * sh - ph + ky) * W - pw + kx;
              const dRow = dyPlane + oy * WO;
              for (let ox = ox0; ox <= ox1; ox++) s += dy[dRow + ox] * x[xRow + ox * sw];
            }
          }
          dw[((o * Cg + c) * KH + ky) * KW + kx] = s;
        }
      }
    }
  }
  return dw;
}
