// One axis of a separable resampling (bicubic resizing, and with the transposed matrix its gradient):
// x [outer, cols, inner] → y [outer, rows, inner], y[o, r, q] = Σ_e weight[e] · x[o, index[e], q] over row r's
// entries of a sparse matrix. The matrix is one u32 table: row offsets (rows + 1), the entries' indices, then
// their weights' f32 bits. The height of NCHW is outer = N·C, inner = W; the width outer = N·C·H, inner = 1.
// A gather: every output element is written once, so the gradient (the transpose, gathered the same way)
// needs no atomics.
struct Params { n: u32, inner: u32, rows: u32, cols: u32, nnz: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> table: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) li: u32) {
  let indices = p.rows + 1u;
  let weights = indices + p.nnz;
  for (var u = flat_id(wg, groups, li, 256u); u < p.n; u += grid_stride(groups, 256u)) {
    let q = u % p.inner;
    let t = u / p.inner;
    let r = t % p.rows;
    let base = (t / p.rows) * p.cols * p.inner + q;
    var acc = 0.0;
    for (var e = table[r]; e < table[r + 1u]; e++) {
      acc += bitcast<f32>(table[weights + e]) * x[base + table[indices + e] * p.inner];
    }
    y[u] = acc;
  }
}
