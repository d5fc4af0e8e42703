/** Cropping helpers (any channel count, HWC interleaved). */
import { makeImage, type Image } from "./types.ts";

/** Copy of the rectangle [x, x + width) × [y, y + height). */
export function crop<T extends Image>(img: T, x: number, y: number, width: number, height: number): T {
  if (![x, y, width, height].every(Number.isInteger) || x < 0 || y < 0 || width < 0 || height < 0 || x + width > img.width || y + height > img.height) {
    throw new Error(`crop: rectangle ${width}x${height} at (${x}, ${y}) does not fit in ${img.width}x${img.height}`);
  }
  const c = img.channels;
  const out = new Float32Array(width * height * c);
  for (let r = 0; r < height; r++) {
    const s = ((y + r) * img.width + x) * c;
    out.set(img.data.subarray(s, s + width * c), r * width * c);
  }
  return { ...img, ...makeImage(width, height, c, out) } as T;
}

/** MATLAB `modcrop`: keep the top-left (height - height mod scale) × (width - width mod scale) pixels. */
export function modcrop<T extends Image>(img: T, scale: number): T {
  if (!(Number.isInteger(scale) && scale >= 1)) throw new Error(`modcrop: scale must be a positive integer, got ${scale}`);
  const w = img.width - (img.width % scale);
  const h = img.height - (img.height % scale);
  if (w === img.width && h === img.height) return { ...img, data: new Float32Array(img.data) };
  return crop(img, 0, 0, w, h);
}

/** Remove `border` pixels on every side (the "shave" before computing SR metrics). */
export function shave<T extends Image>(img: T, border: number): T {
  if (!(Number.isInteger(border) && border >= 0)) throw new Error(`shave: border must be a non-negative integer, got ${border}`);
  if (border === 0) return { ...img, data: new Float32Array(img.data) };
  if (img.width <= 2 * border || img.height <= 2 * border) {
    throw new Error(`shave: image ${img.width}x${img.height} is too small to shave ${border} px from each side`);
  }
  return crop(img, border, border, img.width - 2 * border, img.height - 2 * border);
}
