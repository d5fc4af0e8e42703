// What the two weight-gradient kernels on vec4 rows (conv2d_weight_grad_vec4.wgsl, conv2d_weight_grad_lanes.wgsl)
// share: x and dy as vec4s, and the window one step of 4 output columns reads, kept for each of XC input channels
// (the kernel's constant) as V aligned vec4s that slide by SW vec4s a step. The host prepends it after
// conv2d_weight_grad_block.wgsl.
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read> dy: array<vec4f>;

const OFF = (4u - PW % 4u) % 4u;           // window start within its first vec4
const XWIN = 3u * SW + KW;                 // inputs one step's taps read
const V = (OFF + XWIN + 3u) / 4u;          // vec4s holding them
const NEW = min(SW, V);                    // vec4s a step loads (the rest slid over from the last step)

// Window vec4s u0 … V − 1 of each channel (planes at xoff), the window's first vec4 being column vec4 g of row
// xrow: a vec4 lies wholly inside or outside its row (W % 4 = 0), so the zero padding is one select per vec4.
// Zeros throughout where the row is not live (a padding row that the thread cannot skip).
fn load_window(xw: ptr<function, array<array<vec4f, V>, XC>>, xrow: u32, xoff: array<u32, XC>, g: i32, u0: u32, live: bool) {
  let W4 = i32(p.W / 4u);
  for (var u = u0; u < V; u++) {
    let at = g + i32(u);
    for (var j = 0u; j < XC; j++) {
      (*xw)[j][u] = select(vec4f(0.0), x[xrow + xoff[j] + u32(clamp(at, 0, W4 - 1))], at >= 0 && at < W4 && live);
    }
  }
}

// The next step's window (its first vec4 at g): the old one slides by NEW vec4s, and only the NEW last are loaded.
fn slide_window(xw: ptr<function, array<array<vec4f, V>, XC>>, xrow: u32, xoff: array<u32, XC>, g: i32, live: bool) {
  for (var u = 0u; u + NEW < V; u++) {
    for (var j = 0u; j < XC; j++) { (*xw)[j][u] = (*xw)[j][u + NEW]; }
  }
  load_window(xw, xrow, xoff, g, V - NEW, live);
}

// One output channel's step: its dy vec4 d (4 output columns) times the window, into the sums acc[a0 + j·KW + kx]
// of input channel j < XC and tap kx (a0: where that output channel's sums start among the kernel's ACC).
fn accumulate(acc: ptr<function, array<f32, ACC>>, a0: u32, d: vec4f, xw: ptr<function, array<array<vec4f, V>, XC>>) {
  for (var b = 0u; b < 4u; b++) {
    for (var j = 0u; j < XC; j++) {
      for (var kx = 0u; kx < KW; kx++) {
        let m = OFF + b * SW + kx;
        (*acc)[a0 + j * KW + kx] += d[b] * (*xw)[j][m / 4u][m % 4u];
      }
    }
  }
}
