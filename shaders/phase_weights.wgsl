// A transposed conv's weights with one output channel, [C, 1, KH, KW], regrouped for conv_transpose2d.wgsl with
// every column phase of stride 4 (PACKED): one vec4 holds tap jx's weights for the 4 phases, so the kernel loads
// one vec4 where it loaded four scalars (bench/NOTES.md, entry 29).
//   packed[(c·KH + ky)·TAPS + jx][i] = w[c, 0, ky, 4·jx + i], 0 past KW
// KH, KW and TAPS = ⌈KW/4⌉ are constants the host prepends.
struct Params { C: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> packed: array<vec4f>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let q = id.x;
  if (q >= p.C * KH * TAPS) { return; }
  let jx = q % TAPS;
  let row = q / TAPS; // c·KH + ky
  var v: vec4f;
  for (var i = 0u; i < 4u; i++) {
    let kx = 4u * jx + i;
    v[i] = select(0.0, w[row * KW + min(kx, KW - 1u)], kx < KW);
  }
  packed[q] = v;
}
