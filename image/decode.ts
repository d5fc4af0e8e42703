/**
 * Decoding PNG (pngjs) and JPEG (jpeg-js) into float images (see `types.ts`).
 *
 * - PNG: bit depths 1/2/4/8/16; greyscale and grey+alpha → 1 channel; RGB, RGBA and palette → 3 channels.
 *   Alpha is dropped (the colour samples are kept as stored, not composited). 16-bit samples are divided by
 *   65535 (no detour through 8 bits); every other depth ends up as v/255 (pngjs rescales 1/2/4-bit grey).
 *   A tRNS chunk of a grey/RGB image is ignored (pngjs would otherwise zero the colour of those pixels).
 * - JPEG: baseline and progressive (jpeg-js, strict mode: truncated data is an error). One-component
 *   (greyscale) JPEGs → 1 channel, otherwise 3 channels (CMYK/YCCK converted by jpeg-js).
 *
 * Every failure is an Error whose message starts with the file name and says what is wrong.
 */
import { readFileSync } from "node:fs";
import { PNG } from "pngjs";
import jpeg from "jpeg-js";
import { makeImage, type Image } from "./types.ts";

export type ImageFormat = "png" | "jpeg";

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

/** Decode a PNG byte stream. `name` is used in error messages. */
export function decodePng(bytes: Uint8Array, name = "<png>"): Image {
  if (bytes.length === 0) fail(name, "empty file");
  if (sniffFormat(bytes) !== "png") fail(name, "not a PNG file (bad signature)");
  if (bytes.length < 33) fail(name, `truncated PNG (${bytes.length} bytes, no complete IHDR chunk)`);
  const ihdrType = String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]);
  if (ihdrType !== "IHDR") fail(name, `corrupt PNG (first chunk is '${ihdrType}', expected IHDR)`);
  const depth = bytes[24];
  const colorType = bytes[25];
  if (![0, 2, 3, 4, 6].includes(colorType)) fail(name, `unsupported PNG colour type ${colorType}`);
  if (![1, 2, 4, 8, 16].includes(depth)) fail(name, `unsupported PNG bit depth ${depth}`);
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
  const channels = grey ? 1 : 3;
  const out = new Float32Array(n * channels);
  if (grey) {
    for (let i = 0; i < n; i++) out[i] = src[i * 4] * scale;
  } else {
    for (let i = 0; i < n; i++) {
      out[i * 3] = src[i * 4] * scale;
      out[i * 3 + 1] = src[i * 4 + 1] * scale;
      out[i * 3 + 2] = src[i * 4 + 2] * scale;
    }
  }
  return makeImage(width, height, channels, out);
}

/** Frame header (SOFn) of a JPEG: size and number of components, or null if none is found. */
function jpegFrame(bytes: Uint8Array): { width: number; height: number; components: number } | null {
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) return null;
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos++;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      pos += 2;
      continue;
    }
    const len = (bytes[pos + 2] << 8) | bytes[pos + 3];
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (pos + 9 >= bytes.length) return null;
      return { height: (bytes[pos + 5] << 8) | bytes[pos + 6], width: (bytes[pos + 7] << 8) | bytes[pos + 8], components: bytes[pos + 9] };
    }
    if (marker === 0xda || marker === 0xd9) return null;
    pos += 2 + len;
  }
  return null;
}

/** Decode a JPEG byte stream. `name` is used in error messages. */
export function decodeJpeg(bytes: Uint8Array, name = "<jpeg>"): Image {
  if (bytes.length === 0) fail(name, "empty file");
  if (sniffFormat(bytes) !== "jpeg") fail(name, "not a JPEG file (bad signature)");
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false });
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
  return makeImage(width, height, channels, out);
}

/** Decode PNG or JPEG bytes, choosing the decoder by the magic bytes (never by the name). */
export function decodeImage(bytes: Uint8Array, name = "<image>"): Image {
  if (bytes.length === 0) fail(name, "empty file");
  const format = sniffFormat(bytes);
  if (format === "png") return decodePng(bytes, name);
  if (format === "jpeg") return decodeJpeg(bytes, name);
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
export function readImage(path: string): Image {
  return decodeImage(readBytes(path), path);
}

export interface ImageInfo {
  format: ImageFormat;
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
    return { format, width: frame.width, height: frame.height, channels: frame.components === 1 ? 1 : 3 };
  }
  return decodeImage(bytes, name) as never; // throws the unrecognised-format error
}

/** `imageInfo` of a file. */
export function readImageInfo(path: string): ImageInfo {
  return imageInfo(readBytes(path), path);
}
