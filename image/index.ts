/**
 * Image pipeline and SR metrics (plain TypeScript on Float32Array). See image/README.md.
 */
export { makeImage, makePlane, cloneImage, type Image, type Plane } from "./types.ts";
export { decodeImage, decodePng, decodeJpeg, readImage, imageInfo, readImageInfo, sniffFormat, type ImageFormat, type ImageInfo } from "./decode.ts";
export { collectRows, isRows, mergeRows, rowsOf, type Rows } from "./rows.ts";
export { encodeJpeg, encodePng, writeImage, writePng } from "./encode.ts";
export { rgbToYcbcr, ycbcrToRgb, ycbcrRowsToRgb, toY, splitChannels, mergeChannels, to8, quantize8, YCBCR_MATRIX, YCBCR_OFFSET } from "./color.ts";
export { imresize, imresizeRows, contributions, cubic, resizedSize, type Contributions, type ResizeOptions } from "./resize.ts";
export { crop, modcrop, shave } from "./crop.ts";
export { psnr, ssim, mse255, gaussian1d, type MetricOptions, type SsimOptions } from "./metrics.ts";
export { listImages, IMAGE_EXTENSIONS } from "./files.ts";
export { Rng, type RngState } from "./random.ts";
export { PatchSampler, createSampler, type SamplerOptions, type SamplerState, type Batch, type PatchInfo } from "./sampler.ts";
export {
  evaluateSet,
  makeEvalPair,
  bicubicUpscaler,
  type Upscaler,
  type UpscaleContext,
  type EvaluateOptions,
  type EvalPair,
  type ImageResult,
  type SetResult,
} from "./evaluate.ts";
export { PUBLISHED_BICUBIC, type Published } from "./published.ts";
export { REPO_ROOT, SHARED_DATA, BENCHMARK_DIR, TRAIN_DIR } from "./paths.ts";
