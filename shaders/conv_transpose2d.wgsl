// Transposed convolution in gather form over output phases, register-tiled (OT output channels × XT × RT outputs).
// Output column ox receives x[·,ix]·w[·,kx] for ix·SW + kx = ox + PW, so outputs sharing the residue
// r = (ox + PW) mod SW use the same taps kx = r, r + SW, … and consecutive inputs. An invocation takes XT
// quotients q0 … q0+XT−1 and RT residues r0 … r0+RT−1 (RT = SW: every one, or 1): its outputs
// ox = q·SW + r − PW of one row all read the same XT + TAPS − 1 inputs, loaded once. Rows likewise: output row
// oy meets kernel rows ky = (oy + PH) mod SH + jy·SH; rows are numbered by that phase, so the lanes of a
// workgroup share their kernel rows. No atomics, no zero-stuffing, no wasted taps.
// Quotients are counted from the first that yields an output (q·SW + r ≥ PW; with RT = SW, the first for any
// residue), and rows likewise: a row of 96 at stride 4, padding 2 then has 24 quotients per residue, where
// counting from 0 took 25 and blocks of 8 computed 32; FSRCNN's ×4 layer (padding 4) 24 instead of 25.
// A dispatch covers `residues` consecutive residue groups from r_first: the host splits the residues where
// their windows start at a different offset within a vec4 (the window's lead is a compile-time constant).
// The host prepends OT, XT, RT, the window (KH, KW, SH, SW, PH, PW), TAPS = ⌈KW/SW⌉, TAPSY = ⌈KH/SH⌉ as constants,
// the weights' binding 2 with its accessors `weight(i)` and `weight4(q)` (PACKED: the weights as regrouped by
// phase_weights.wgsl), and the input's binding 1 with `input_window(row, ix0)` (see conv2d.wgsl). The grid is
// (spatial groups, output-channel blocks, batch).
struct Params {
  spatial: u32, C: u32, H: u32, W: u32, O: u32, HO: u32, WO: u32, has_bias: u32, q_blocks: u32, M: u32,
  r_first: u32, residues: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  let n = wg.z;
  let o0 = wg.y * OT;
  // channels past O use channel O−1's weights (in bounds) and are never written
  var oc: array<u32, OT>;
  var b: array<f32, OT>;
  for (var j = 0u; j < OT; j++) {
    oc[j] = min(o0 + j, p.O - 1u);
    b[j] = select(0.0, bias[oc[j]], p.has_bias != 0u);
  }
  for (var sg = wg.x; sg * 64u < p.spatial; sg += groups.x) {
    let s = sg * 64u + li;
    if (s >= p.spatial) { break; }
    let r0 = p.r_first + ((s / p.q_blocks) % p.residues) * RT;
    // the first quotient with an output: ⌈(PW − r0) / SW⌉ or 0; with every residue (RT = SW), ⌊PW / SW⌋
    let q_first = select(PW / SW, (PW + SW - 1u - r0) / SW, RT == 1u);
    let q0 = q_first + (s % p.q_blocks) * XT;
    // rows are numbered by phase: ty = oy + PH = m·SH + ry, so neighbouring invocations share ry and with it
    // their kernel rows ky = ry + jy·SH (the same taps and weights in every lane); m from the first with an output
    let rows = s / (p.q_blocks * p.residues);
    let ry = rows / p.M;
    let m = (PH + SH - 1u - ry) / SH + rows % p.M;
    let ty = m * SH + ry;
    if (ty < PH || ty - PH >= p.HO) { continue; }
    let oy = ty - PH;
    var acc: array<array<array<f32, OT>, XT>, RT>;
    for (var i = 0u; i < RT; i++) {
      for (var t = 0u; t < XT; t++) { acc[i][t] = b; }
    }
    for (var c = 0u; c < p.C; c++) {
      let plane = (n * p.C + c) * p.H;
      for (var jy = 0u; jy < TAPSY; jy++) {
        let ky = ry + jy * SH;
        if (ky >= KH || jy > m || m - jy >= p.H) { continue; }
        let iy = m - jy; // (ty − ky) / SH
        let row = i32((plane + iy) * p.W);
        // the XT outputs and their TAPS column taps read inputs q0 − (TAPS − 1) … q0 + XT − 1: load them once
        let xw = input_window(row, i32(q0) - i32(TAPS - 1u));
        for (var jx = 0u; jx < TAPS; jx++) {
          // PACKED (one output channel, RT = SW = 4): tap jx's weights for the 4 phases are one vec4
          var packed: vec4f;
          if (PACKED) { packed = weight4((c * KH + ky) * TAPS + jx); }
          for (var i = 0u; i < RT; i++) {
            let kx = r0 + i + jx * SW;
            if (kx >= KW) { continue; } // KW not a multiple of SW: this residue has one tap fewer
            var wv: array<f32, OT>;
            for (var j = 0u; j < OT; j++) {
              if (PACKED) { wv[j] = packed[i]; } else { wv[j] = weight(((c * p.O + oc[j]) * KH + ky) * KW + kx); }
            }
            for (var t = 0u; t < XT; t++) {
              let xv = xw[t + TAPS - 1u - jx]; // input column q0 + t − jx
              for (var j = 0u; j < OT; j++) { acc[i][t][j] += xv * wv[j]; }
            }
          }
        }
      }
    }
    for (var i = 0u; i < RT; i++) {
      for (var t = 0u; t < XT; t++) {
        let tx = (q0 + t) * SW + r0 + i; // = ox + PW
        if (tx < PW || tx - PW >= p.WO) { continue; }
        let ox = tx - PW;
        for (var j = 0u; j < OT; j++) {
          let o = o0 + j;
          if (o >= p.O) { break; }
          y[((n * p.O + o) * p.HO + oy) * p.WO + ox] = acc[i][t][j];
        }
      }
    }
  }
}
