import partialsWgsl from "../../../shaders/partials.wgsl" with { type: "text" };

/**
 * Threads per workgroup of the reduction kernels (sum, sum_outer_inner, prelu_backward). 64 rather than 256:
 * on lavapipe a workgroup runs as coroutines of 8 lanes, and fewer of them per workgroup, each walking a longer
 * stretch, made PReLU's backward at HR size ≈ 2× and the HR bias gradients ≈ 1.4× faster (bench/NOTES.md, entry 38).
 */
export const REDUCE_THREADS = 64;

/** What a reduction kernel's code starts with: REDUCE_THREADS and the partial sums (shaders/partials.wgsl). */
export const partialsPrelude = `const REDUCE_THREADS: u32 = ${REDUCE_THREADS}u;\n${partialsWgsl}`;
