// What the two weight-gradient kernels on vec4 rows (conv2d_weight_grad_vec4.wgsl, conv2d_weight_grad_lanes.wgsl)
// share: x and dy as vec4s, and the window one step of 4 output columns reads, kept as V aligned vec4s that slide
// by SW vec4s a step. The host prepends it after conv2d_weight_grad_block.wgsl.
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read> dy: array<vec4f>;

const OFF = (4u - PW % 4u) % 4u;           // window start within its first vec4
const XWIN = 3u * SW + KW;                 // inputs one step's taps read
const V = (OFF + XWIN + 3u) / 4u;          // vec4s holding them
const NEW = min(SW, V);                    // vec4s a step loads (the rest slid over from the last step)
