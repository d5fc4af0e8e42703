/**
 * Decoding PNG (pngjs) and JPEG (jpeg-js) into float images (see `types.ts`).
 *
 * - PNG: bit depths 1/2/4/8/16; greyscale and grey+alpha → 1 channel; RGB, RGBA and palette → 3 channels.
 *   Alpha is dropped (the colour samples are kept as stored, not composited). 16-bit samples are divided by
 *   65535 (no detour through 8 bits); every other depth ends up as v/255 (pngjs rescales 1/2/4-bit grey).
 *   A tRNS chunk of a grey/RGB image is ignored (pngjs would otherwise zero the colour of those pixels).
 *   A zlib stream that ends early is an error (pngjs alone would fill the missing rows with zeros).
 * - JPEG: baseline and progressive (jpeg-js, strict mode: truncated data is an error). One-component
 *   (greyscale) JPEGs → 1 channel, otherwise 3 channels (CMYK/YCCK converted by jpeg-js). The EXIF
 *   Orientation tag (1–8) is applied, so a phone's portrait photo comes out upright (5–8 swap width/height).
 * - Size: an image whose header declares more than `maxPixels` pixels is refused before any decoding.
 *   The limit is the `maxPixels` option, else the environment variable PISR_MAX_PIXELS, else MAX_PIXELS.
 *
 * Every failure is an Error whose message starts with the file name and says what is wrong.
 */
import { readFileSync } from "node:fs";
import { inflateSync } from "node:zlib";
import { PNG } from "pngjs";
import jpeg from "jpeg-js";
import { makeImage, type Image } from "./types.ts";

export type ImageFormat = "png" | "jpeg";

/** Default pixel limit (100 megapixels): a few hundred bytes of header can otherwise ask for gigabytes. */
export const MAX_PIXELS = 100_000_000;

export interface DecodeOptions {
  /** Refuse images declaring more pixels than this. Default: PISR_MAX_PIXELS if set, else MAX_PIXELS. */
  maxPixels?: number;
  /**
   * Keep a PNG's alpha channel: grey+alpha → 2 channels, RGBA (and a palette with transparency) → 4. Without
   * it (the default, what training and evaluation read) alpha is dropped. Images without alpha are unchanged.
   */
  alpha?: boolean;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format named by the file's first bytes, or null when it is neither PNG nor JPEG. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return "png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  return null;
}

function fail(name: string, problem: string, cause?: unknown): never {
  const detail = cause instanceof Error ? `: ${cause.message}` : cause !== undefined ? `: ${String(cause)}` : "";
  throw new Error(`${name}: ${problem}${detail}`, cause !== undefined ? { cause } : undefined);
}

/** The pixel limit in force: the option, else PISR_MAX_PIXELS, else MAX_PIXELS (read per call, so it can change). */
function pixelLimit(name: string, opts: DecodeOptions): number {
  if (opts.maxPixels !== undefined) {
    if (!(opts.maxPixels > 0)) fail(name, `maxPixels must be a positive number, got ${opts.maxPixels}`);
    return opts.maxPixels;
  }
  const env = process.env.PISR_MAX_PIXELS;
  if (!env) return MAX_PIXELS;
  const limit = Number(env);
  if (!(limit > 0)) fail(name, `PISR_MAX_PIXELS must be a positive number of pixels, got '${env}'`);
  return limit;
}

/** Refuse, from the header's size alone, an image over the pixel limit (before anything is allocated for it). */
function checkPixels(name: string, width: number, height: number, limit: number): void {
  if (width * height <= limit) return;
  fail(
    name,
    `image is ${width}x${height} = ${width * height} pixels, over the limit of ${limit} pixels; ` +
      `to decode it anyway set the environment variable PISR_MAX_PIXELS=${width * height} (or pass { maxPixels })`,
  );
}

/** Copy of a PNG byte stream without its tRNS chunk; returns the input when there is none. */
function withoutTrns(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  while (pos + 12 <= bytes.length) {
    const len = view.getUint32(pos);
    const type = String.fromCharCode(bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]);
    const end = pos + 12 + len;
    if (end > bytes.length) return bytes; // truncated: leave it to pngjs to report
    if (type === "tRNS") {
      const out = new Uint8Array(bytes.length - (end - pos));
      out.set(bytes.subarray(0, pos), 0);
      out.set(bytes.subarray(end), pos);
      return out;
    }
    if (type === "IEND") return bytes;
    pos = end;
  }
  return bytes;
}

/** Concatenated IDAT payloads, or null when the chunk structure is broken (pngjs then says how). */
function pngImageData(bytes: Uint8Array): Uint8Array | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  for (let pos = 8; pos + 12 <= bytes.length; ) {
    const len = view.getUint32(pos);
    const end = pos + 12 + len;
    if (end > bytes.length) return null;
    const type = String.fromCharCode(bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]);
    if (type === "IDAT") parts.push(bytes.subarray(pos + 8, pos + 8 + len));
    if (type === "IEND") return Buffer.concat(parts);
    pos = end;
  }
  return null;
}

const SAMPLES_PER_PIXEL: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

/** Bytes the zlib stream must inflate to: each row (of each Adam7 pass) is a filter byte plus packed samples. */
function pngDataSize(width: number, height: number, colorType: number, depth: number, interlaced: boolean): number {
  const bits = SAMPLES_PER_PIXEL[colorType] * depth;
  const rows = (w: number, h: number) => (w > 0 && h > 0 ? h * (1 + Math.ceil((w * bits) / 8)) : 0);
  if (!interlaced) return rows(width, height);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) total += rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy));
  return total;
}

/**
 * Fail on a zlib stream that is cut short or damaged. pngjs does not: it fills the missing rows with zeros and
 * reports success. So inflate the data once with zlib's strict inflater (which throws at a premature end) and
 * check that it covers every row. Output is capped at the expected size, so a zip bomb cannot blow up here.
 */
function checkPngData(bytes: Uint8Array, name: string, need: number): void {
  const data = pngImageData(bytes);
  if (data === null || need === 0) return; // broken chunks or no pixels: reported by pngjs / below
  let got: number;
  try {
    got = inflateSync(data, { maxOutputLength: need }).length;
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === "ERR_BUFFER_TOO_LARGE") return; // more than enough data
    fail(name, "corrupt or truncated PNG: compressed image data is cut short or damaged", err);
  }
  if (got < need) fail(name, `corrupt or truncated PNG: image data ends after ${got} of ${need} bytes`);
}

/** Decode a PNG byte stream. `name` is used in error messages. */
export function decodePng(bytes: Uint8Array, name = "<png>", opts: DecodeOptions = {}): Image {
  if (bytes.length === 0) fail(name, "empty file");
  if (sniffFormat(bytes) !== "png") fail(name, "not a PNG file (bad signature)");
  if (bytes.length < 33) fail(name, `truncated PNG (${bytes.length} bytes, no complete IHDR chunk)`);
  const ihdrType = String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]);
  if (ihdrType !== "IHDR") fail(name, `corrupt PNG (first chunk is '${ihdrType}', expected IHDR)`);
  const depth = bytes[24];
  const colorType = bytes[25];
  if (![0, 2, 3, 4, 6].includes(colorType)) fail(name, `unsupported PNG colour type ${colorType}`);
  if (![1, 2, 4, 8, 16].includes(depth)) fail(name, `unsupported PNG bit depth ${depth}`);
  const ihdr = new DataView(bytes.buffer, bytes.byteOffset + 16, 8);
  const [declaredWidth, declaredHeight, interlaced] = [ihdr.getUint32(0), ihdr.getUint32(4), bytes[28] !== 0];
  checkPixels(name, declaredWidth, declaredHeight, pixelLimit(name, opts));
  checkPngData(bytes, name, pngDataSize(declaredWidth, declaredHeight, colorType, depth, interlaced));
  const input = colorType === 3 ? bytes : withoutTrns(bytes);

  let png: ReturnType<typeof PNG.sync.read>;
  try {
    png = PNG.sync.read(Buffer.from(input.buffer, input.byteOffset, input.byteLength), {
      skipRescale: depth === 16,
      checkCRC: true,
    });
  } catch (err) {
    fail(name, "corrupt or truncated PNG", err);
  }
  const { width, height } = png;
  if (!(width > 0 && height > 0)) fail(name, `PNG has no pixels (${width}x${height})`);
  const src = png.data as unknown as ArrayLike<number>; // RGBA, Uint16Array when 16-bit with skipRescale
  const n = width * height;
  if (src.length < n * 4) fail(name, `corrupt PNG (decoded ${src.length} samples for ${width}x${height})`);
  const scale = depth === 16 ? 1 / 65535 : 1 / 255;
  const grey = colorType === 0 || colorType === 4;
  // pngjs hands a palette's tRNS over as RGBA alpha; grey/RGB tRNS was removed above (ignored, as documented)
  const hasAlpha = colorType === 4 || colorType === 6 || (colorType === 3 && anyBelow(src, n, 255));
  const keep = Boolean(opts.alpha) && hasAlpha;
  const colours = grey ? 1 : 3;
  const channels = colours + (keep ? 1 : 0);
  const out = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < colours; c++) out[i * channels + c] = src[i * 4 + c] * scale;
    if (keep) out[i * channels + colours] = src[i * 4 + 3] * scale;
  }
  return makeImage(width, height, channels, out);
}

/** Whether any alpha sample of RGBA data is below `max` (an opaque palette image has no alpha to keep). */
function anyBelow(rgba: ArrayLike<number>, n: number, max: number): boolean {
  for (let i = 0; i < n; i++) if (rgba[i * 4 + 3] < max) return true;
  return false;
}

/**
 * The marker segments of a JPEG before its image data (SOS): marker, payload start and end (`end` may lie past
 * the end of a truncated file; readers check). Stops at anything that is not a well-formed marker.
 */
function* jpegSegments(bytes: Uint8Array): Generator<{ marker: number; start: number; end: number }> {
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) return;
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      pos += 2; // markers without a length
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return;
    const len = (bytes[pos + 2] << 8) | bytes[pos + 3];
    if (len < 2) return;
    yield { marker, start: pos + 4, end: pos + 2 + len };
    pos += 2 + len;
  }
}

/** Frame header (SOFn) of a JPEG: size and number of components, or null if none is found. */
function jpegFrame(bytes: Uint8Array): { width: number; height: number; components: number } | null {
  for (const { marker, start } of jpegSegments(bytes)) {
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (!isSof) continue;
    if (start + 5 >= bytes.length) return null;
    return { height: (bytes[start + 1] << 8) | bytes[start + 2], width: (bytes[start + 3] << 8) | bytes[start + 4], components: bytes[start + 5] };
  }
  return null;
}

/**
 * EXIF Orientation (1–8) of a JPEG; 1 when there is none or the EXIF data is malformed (never an error: a bad
 * tag must not make a good picture unreadable). Reads the first APP1 "Exif" segment: a TIFF header (II = little
 * endian, MM = big endian, 42, offset of IFD0), then IFD0's 12-byte entries for tag 0x0112, type SHORT.
 */
function jpegOrientation(bytes: Uint8Array): number {
  for (const { marker, start, end } of jpegSegments(bytes)) {
    if (marker !== 0xe1 || end > bytes.length || end - start < 14) continue;
    if (String.fromCharCode(...bytes.subarray(start, start + 5)) !== "Exif\0") continue;
    const tiff = new DataView(bytes.buffer, bytes.byteOffset + start + 6, end - start - 6);
    const order = tiff.getUint16(0);
    if (order !== 0x4949 && order !== 0x4d4d) return 1;
    const le = order === 0x4949;
    if (tiff.getUint16(2, le) !== 42) return 1;
    const ifd = tiff.getUint32(4, le);
    if (ifd + 2 > tiff.byteLength) return 1;
    const count = tiff.getUint16(ifd, le);
    if (ifd + 2 + 12 * count > tiff.byteLength) return 1; // an IFD that overruns its segment is corrupt
    for (let i = 0; i < count; i++) {
      const entry = ifd + 2 + 12 * i;
      if (tiff.getUint16(entry, le) !== 0x0112) continue;
      const value = tiff.getUint16(entry + 8, le); // a SHORT sits in the first 2 bytes of the value field
      return tiff.getUint16(entry + 2, le) === 3 && value >= 1 && value <= 8 ? value : 1;
    }
    return 1; // only the first Exif segment counts
  }
  return 1;
}

/**
 * `img` turned upright for EXIF orientation `o` (2 mirror, 3 rotate 180°, 4 flip, 5 transpose, 6 rotate 90°
 * clockwise, 7 transverse, 8 rotate 90° anticlockwise). Output pixel (x, y) is stored pixel
 * (x0 + ax·x + bx·y, y0 + ay·x + by·y), so the source index is linear in x and y.
 */
function applyOrientation(img: Image, o: number): Image {
  const { width: w, height: h, channels: c, data } = img;
  const maps: Record<number, number[]> = {
    2: [w - 1, -1, 0, 0, 0, 1],
    3: [w - 1, -1, 0, h - 1, 0, -1],
    4: [0, 1, 0, h - 1, 0, -1],
    5: [0, 0, 1, 0, 1, 0],
    6: [0, 0, 1, h - 1, -1, 0],
    7: [w - 1, 0, -1, h - 1, -1, 0],
    8: [w - 1, 0, -1, 0, 1, 0],
  };
  const map = maps[o];
  if (!map) return img;
  const [x0, ax, bx, y0, ay, by] = map;
  const ow = o >= 5 ? h : w, oh = o >= 5 ? w : h;
  const base = (y0 * w + x0) * c, stepX = (ay * w + ax) * c, stepY = (by * w + bx) * c;
  const out = new Float32Array(data.length);
  for (let y = 0, dst = 0; y < oh; y++) {
    for (let x = 0, src = base + y * stepY; x < ow; x++, src += stepX) {
      for (let k = 0; k < c; k++) out[dst++] = data[src + k];
    }
  }
  return makeImage(ow, oh, c, out);
}

/** Decode a JPEG byte stream. `name` is used in error messages. */
export function decodeJpeg(bytes: Uint8Array, name = "<jpeg>", opts: DecodeOptions = {}): Image {
  if (bytes.length === 0) fail(name, "empty file");
  if (sniffFormat(bytes) !== "jpeg") fail(name, "not a JPEG file (bad signature)");
  const limit = pixelLimit(name, opts);
  const frame = jpegFrame(bytes);
  if (frame) checkPixels(name, frame.width, frame.height, limit);
  // jpeg-js has its own caps (100 MP, 512 MB, i.e. ~25 MP of colour): loosen them so that ours is the one that
  // applies. It counts about 21 bytes per pixel for 3 components, 27 for 4; 32 plus 64 MB of slack covers both.
  const caps = { maxResolutionInMP: limit / 1e6 + 1, maxMemoryUsageInMB: Math.ceil((limit * 32) / 2 ** 20) + 64 };
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false, ...caps });
  } catch (err) {
    fail(name, "corrupt or truncated JPEG", err);
  }
  const { width, height, data } = decoded;
  if (!(width > 0 && height > 0)) fail(name, `JPEG has no pixels (${width}x${height})`);
  const n = width * height;
  if (data.length < n * 3) fail(name, `corrupt JPEG (decoded ${data.length} bytes for ${width}x${height})`);
  const channels = jpegFrame(bytes)?.components === 1 ? 1 : 3;
  const out = new Float32Array(n * channels);
  if (channels === 1) {
    for (let i = 0; i < n; i++) out[i] = data[i * 3] / 255;
  } else {
    for (let i = 0; i < n * 3; i++) out[i] = data[i] / 255;
  }
  return applyOrientation(makeImage(width, height, channels, out), jpegOrientation(bytes));
}

/** Decode PNG or JPEG bytes, choosing the decoder by the magic bytes (never by the name). */
export function decodeImage(bytes: Uint8Array, name = "<image>", opts: DecodeOptions = {}): Image {
  if (bytes.length === 0) fail(name, "empty file");
  const format = sniffFormat(bytes);
  if (format === "png") return decodePng(bytes, name, opts);
  if (format === "jpeg") return decodeJpeg(bytes, name, opts);
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join(" ");
  fail(name, `unsupported or unrecognised image format (first bytes: ${head}); expected PNG or JPEG`);
}

/** The file's bytes; a missing file, a folder or an unreadable file is an error naming the path. */
function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    fail(path, code === "ENOENT" ? "file not found" : code === "EISDIR" ? "is a directory, not an image" : "cannot read file", err);
  }
}

/** Read and decode an image file (PNG or JPEG, by content). */
export function readImage(path: string, opts: DecodeOptions = {}): Image {
  return decodeImage(readBytes(path), path, opts);
}

export interface ImageInfo {
  format: ImageFormat;
  /** Size as `readImage` returns it (JPEG: after EXIF orientation). */
  width: number;
  height: number;
  /** Channels `readImage` will return (1 or 3). */
  channels: number;
}

/** Format, size and channel count from the file header only (no pixel decoding). */
export function imageInfo(bytes: Uint8Array, name = "<image>"): ImageInfo {
  if (bytes.length === 0) fail(name, "empty file");
  const format = sniffFormat(bytes);
  if (format === "png") {
    if (bytes.length < 33) fail(name, `truncated PNG (${bytes.length} bytes, no complete IHDR chunk)`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const ihdrType = String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]);
    if (ihdrType !== "IHDR") fail(name, `corrupt PNG (first chunk is '${ihdrType}', expected IHDR)`);
    const colorType = bytes[25];
    if (![0, 2, 3, 4, 6].includes(colorType)) fail(name, `unsupported PNG colour type ${colorType}`);
    return { format, width: view.getUint32(16), height: view.getUint32(20), channels: colorType === 0 || colorType === 4 ? 1 : 3 };
  }
  if (format === "jpeg") {
    const frame = jpegFrame(bytes);
    if (!frame) fail(name, "corrupt or truncated JPEG: no frame header (SOF) found");
    const swap = jpegOrientation(bytes) >= 5;
    const [width, height] = swap ? [frame.height, frame.width] : [frame.width, frame.height];
    return { format, width, height, channels: frame.components === 1 ? 1 : 3 };
  }
  return decodeImage(bytes, name) as never; // throws the unrecognised-format error
}

/** `imageInfo` of a file. */
export function readImageInfo(path: string): ImageInfo {
  return imageInfo(readBytes(path), path);
}
