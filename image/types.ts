/**
 * Image types used throughout `image/`.
 *
 * Layout: interleaved HWC (row-major, channels innermost), `data[(y * width + x) * channels + c]`.
 * Values are floats, nominally in [0, 1] (8-bit samples are v/255, 16-bit samples v/65535); nothing in
 * the pipeline clamps or rounds unless it says so (`quantize8`, `encodePng`, the PSNR/SSIM quantisation step).
 *
 * A decoded image has 1 channel (greyscale PNG/JPEG) or 3 channels (RGB; alpha is dropped).
 * Geometric functions (`imresize`, `modcrop`, `crop`, ...) accept any channel count.
 */
export interface Image {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

/** A single-channel image (for example the luma plane Y/255 the network works on). */
export interface Plane extends Image {
  channels: 1;
}

export function makeImage(width: number, height: number, channels: number, data?: Float32Array): Image {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new Error(`invalid image size ${width}x${height}`);
  }
  if (!Number.isInteger(channels) || channels < 1) throw new Error(`invalid channel count ${channels}`);
  const n = width * height * channels;
  if (data && data.length !== n) {
    throw new Error(`image data has ${data.length} values, expected ${width}x${height}x${channels} = ${n}`);
  }
  return { width, height, channels, data: data ?? new Float32Array(n) };
}

export function makePlane(width: number, height: number, data?: Float32Array): Plane {
  return makeImage(width, height, 1, data) as Plane;
}

/** Pixel-by-pixel copy of an image. */
export function cloneImage<T extends Image>(img: T): T {
  return { ...img, data: new Float32Array(img.data) };
}
