/** Pictures placed side by side in one image, for looking at several upscales of one picture at once. */
import { makeImage, type Image } from "./types.ts";

/**
 * The images left to right, `gap` columns of `background` between them. All must share a height and a channel
 * count (the upscales of one picture do); a mismatch names the image that differs.
 */
export function sideBySide(images: Image[], gap = 8, background = 1): Image {
  if (!images.length) throw new Error("sideBySide: no images");
  if (!(Number.isInteger(gap) && gap >= 0)) throw new Error(`sideBySide: gap must be a non-negative integer, got ${gap}`);
  const { height, channels } = images[0];
  images.forEach((img, i) => {
    if (img.height !== height || img.channels !== channels) {
      throw new Error(`sideBySide: image ${i} is ${img.width}x${img.height}x${img.channels}, image 0 is ${images[0].width}x${height}x${channels}`);
    }
  });
  const width = images.reduce((w, img) => w + img.width, 0) + gap * (images.length - 1);
  const out = makeImage(width, height, channels, new Float32Array(width * height * channels).fill(background));
  let left = 0;
  for (const img of images) {
    const rowLength = img.width * channels;
    for (let y = 0; y < height; y++) {
      out.data.set(img.data.subarray(y * rowLength, (y + 1) * rowLength), (y * width + left) * channels);
    }
    left += img.width + gap;
  }
  return out;
}
