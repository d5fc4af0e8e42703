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
// (item groups, output-channel blocks), items numbered over the whole batch (`img` per image, p.spatial in all).
// Its lanes may share their weights (SHARED, conv2d.wgsl), where a subgroup's items all have the same taps
// (`together`, conv.ts; a subgroup whose items straddle two images may not, and then loads per lane).
struct Params {
  spatial: u32, C: u32, H: u32, W: u32, O: u32, HO: u32, WO: u32, has_bias: u32, q_blocks: u32, M: u32,
  r_first: u32, residues: u32, img: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32, lane: Lane) {
  let o0 = wg.y * OT;
  // channels past O use channel O−1's weights (in bounds) and are never written
  var oc: array<u32, OT>;
  var b: array<f32, OT>;
  for (var j = 0u; j < OT; j++) {
    oc[j] = min(o0 + j, p.O - 1u);
    b[j] = select(0.0, bias[oc[j]], p.has_bias != 0u);
  }
  // SHARED (see conv2d.wgsl): lane l loads the weights of channels o0 + l + k·LANES alone, where its whole subgroup
  // reads the same taps (`together`); so every lane runs every item, and a clamped one stores nothing
  var wl: array<u32, LOADS>;
  for (var k = 0u; k < LOADS; k++) { wl[k] = min(o0 + min(k * LANES + lane_index(lane), OT - 1u), p.O - 1u); }
  for (var sg = wg.x; sg * 64u < p.spatial; sg += groups.x) {
    let live = sg * 64u + li < p.spatial;
    let item = min(sg * 64u + li, p.spatial - 1u);
    let n = item / p.img;
    let s = item % p.img;
    // items by (row phase ry, residue, row, quotient block), the last fastest: neighbouring lanes share ry and the
    // residue, hence their kernel rows and columns ky = ry + jy·SH, kx = r0 + jx·SW (the same weights in every lane)
    let qb = s % p.q_blocks;
    let mrow = (s / p.q_blocks) % p.M;
    let r0 = p.r_first + ((s / (p.q_blocks * p.M)) % p.residues) * RT;
    let ry = s / (p.q_blocks * p.M * p.residues);
    // the first quotient with an output: ⌈(PW − r0) / SW⌉ or 0; with every residue (RT = SW), ⌊PW / SW⌋
    let q_first = select(PW / SW, (PW + SW - 1u - r0) / SW, RT == 1u);
    let q0 = q_first + qb * XT;
    // rows are numbered by phase: ty = oy + PH = m·SH + ry, m from the first with an output
    let m = (PH + SH - 1u - ry) / SH + mrow;
    let ty = m * SH + ry;
    let row_out = ty >= PH && ty - PH < p.HO;
    let oy = ty - PH;
    let sharing = together(lane, ry, r0);
    var acc: array<array<array<f32, OT>, XT>, RT>;
    for (var i = 0u; i < RT; i++) {
      for (var t = 0u; t < XT; t++) { acc[i][t] = b; }
    }
    for (var c = 0u; c < p.C; c++) {
      let plane = (n * p.C + c) * p.H;
      for (var jy = 0u; jy < TAPSY; jy++) {
        let ky = ry + jy * SH;
        if (ky >= KH) { continue; } // the same in a subgroup whose lanes share ry
        // input row (ty − ky) / SH = m − jy; rows outside the input are read clamped and count as zeros
        let inside = (jy <= m) & (m - jy < p.H);
        let row = i32((plane + select(0u, min(m - jy, p.H - 1u), jy <= m)) * p.W);
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
            if (PACKED) {
              for (var j = 0u; j < OT; j++) { wv[j] = packed[i]; }
            } else if (sharing) {
              var mine: array<f32, LOADS>;
              for (var k = 0u; k < LOADS; k++) { mine[k] = weight(((c * p.O + wl[k]) * KH + ky) * KW + kx); }
              wv = share_weights(mine);
            } else {
              for (var j = 0u; j < OT; j++) { wv[j] = weight(((c * p.O + oc[j]) * KH + ky) * KW + kx); }
            }
            for (var t = 0u; t < XT; t++) {
              let xv = select(0.0, xw[t + TAPS - 1u - jx], inside); // input column q0 + t − jx
              for (var j = 0u; j < OT; j++) { acc[i][t][j] += xv * wv[j]; }
            }
          }
        }
      }
    }
    if (!live || !row_out) { continue; }
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
