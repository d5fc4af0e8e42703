/**
 * The PNG writer: float samples → 8-bit scanlines, each with PNG's Average filter, one zlib stream, and the
 * chunks around it. Ours rather than pngjs's because an upscaled photo is large: pngjs wanted an RGBA copy,
 * a packed copy, five trial filters per row and zlib at level 9 with Z_RLE — 5.5–6.2 s of a 2000×1336 →
 * 8000×5344 upscale's ≈ 27 s, where this takes ≈ 2.4 s for a smaller file (bench/NOTES.md, entry 54).
 */
import { crc32 as zlibCrc32, deflateSync } from "node:zlib";
import { to8 } from "./color.ts";
import type { Rows } from "./rows.ts";

/** PNG colour types by channel count: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
const COLOUR_TYPE = [0, 0, 4, 2, 6] as const;
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/**
 * PNG filter type 3: each byte minus the mean of its left and upper neighbours. On an upscaled photo it
 * compressed better than choosing a filter per row by the usual least-sum heuristic (57.7 MB against 58.0) at a
 * fifth of the work.
 */
const AVERAGE = 3;
/** IDAT chunks are split below PNG's 2^31 − 1 byte limit on a chunk. */
const MAX_CHUNK = 1 << 30;

/** The filtered scanlines PNG compresses: per row a filter-type byte, then the row's bytes minus their predictions. */
function filteredScanlines({ width, height, channels, row: rowAt }: Rows): Uint8Array {
  const rowBytes = width * channels;
  const out = new Uint8Array(height * (rowBytes + 1));
  let above = new Uint8Array(rowBytes); // zeros above the first row, as the filter defines
  let row = new Uint8Array(rowBytes);
  for (let y = 0; y < height; y++) {
    const src = rowAt(y);
    for (let i = 0; i < rowBytes; i++) row[i] = to8(src[i]);
    const o = y * (rowBytes + 1) + 1;
    out[o - 1] = AVERAGE;
    // Uint8Array stores modulo 256, which is the filter's arithmetic
    for (let i = 0; i < channels; i++) out[o + i] = row[i] - (above[i] >> 1);
    for (let i = channels; i < rowBytes; i++) out[o + i] = row[i] - ((row[i - channels] + above[i]) >> 1);
    [above, row] = [row, above];
  }
  return out;
}

/**
 * `bytes` as a zlib stream, in parts (not copied into one buffer). Under Bun, libdeflate at level 2 (2.5× faster
 * than zlib at level 6 on photos, ≈ 2% larger) gives raw DEFLATE, framed here by zlib's two-byte header and
 * Adler-32 trailer; elsewhere node:zlib.
 */
export function zlibStream(bytes: Uint8Array, bun: typeof Bun | null = (globalThis as { Bun?: typeof Bun }).Bun ?? null): Uint8Array[] {
  if (!bun) return [deflateSync(bytes, { level: 6 })];
  const raw = bun.deflateSync(bytes as Uint8Array<ArrayBuffer>, { level: 2, library: "libdeflate" });
  // deflate with a 32 KiB window, "fast" level: (0x78 · 256 + 0x5e) is a multiple of 31, as the header check requires
  const header = Uint8Array.of(0x78, 0x5e);
  const trailer = new Uint8Array(4);
  new DataView(trailer.buffer).setUint32(0, bun.hash.adler32(bytes) >>> 0);
  return [header, raw, trailer];
}

let crcTable: Uint32Array | undefined;

/**
 * CRC-32 (PNG's, zlib's) of `bytes`, continuing from `crc` (0 to start): node:zlib's where it has one (Bun,
 * Node ≥ 22.2), else a table here.
 */
export function crc32(bytes: Uint8Array, crc = 0, native: ((b: Uint8Array, crc: number) => number) | null = zlibCrc32 ?? null): number {
  if (native) return native(bytes, crc) >>> 0;
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** A chunk as parts: length and type, the body's parts as they are, the CRC of type and body. */
function chunk(type: string, body: readonly Uint8Array[]): Uint8Array[] {
  const head = new Uint8Array(8);
  new DataView(head.buffer).setUint32(0, body.reduce((n, b) => n + b.length, 0));
  for (let i = 0; i < 4; i++) head[4 + i] = type.charCodeAt(i);
  let crc = crc32(head.subarray(4));
  for (const b of body) crc = crc32(b, crc);
  const tail = new Uint8Array(4);
  new DataView(tail.buffer).setUint32(0, crc);
  return [head, ...body, tail];
}

/** `parts` cut into runs of at most `max` bytes (views, nothing copied). */
function runsOf(parts: readonly Uint8Array[], max: number): Uint8Array[][] {
  const runs: Uint8Array[][] = [[]];
  let size = 0;
  for (let part of parts) {
    while (part.length > 0) {
      if (size === max) {
        runs.push([]);
        size = 0;
      }
      const take = Math.min(part.length, max - size);
      runs.at(-1)!.push(part.subarray(0, take));
      size += take;
      part = part.subarray(take);
    }
  }
  return runs;
}

/**
 * The PNG of 8-bit samples from `rows` (1–4 channels, values in [0, 1]; clamped and rounded), as its parts in
 * file order: the compressed data (≈ 58 MB for an upscaled photo) is written from where the compressor left it,
 * not copied twice more into fresh memory (180 ms a copy on these VMs; bench/NOTES.md, entry 54).
 */
export function pngParts(rows: Rows, maxChunk = MAX_CHUNK): Uint8Array[] {
  const { width, height, channels } = rows;
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, COLOUR_TYPE[channels]!, 0, 0, 0], 8); // bit depth, colour type, deflate, adaptive filtering, no interlace
  const idats = runsOf(zlibStream(filteredScanlines(rows)), maxChunk).flatMap((run) => chunk("IDAT", run));
  return [Uint8Array.from(SIGNATURE), ...chunk("IHDR", [ihdr]), ...idats, ...chunk("IEND", [])];
}
