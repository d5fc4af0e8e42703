// The PNG writer (image/png-writer.ts) checked from outside: its chunks parsed here, every CRC recomputed, the
// image data inflated by node:zlib (which checks the Adler-32 trailer) and un-filtered by the Average rule as the
// PNG specification states it, for every channel count and awkward widths; and decoded by pngjs.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 as zlibCrc32, inflateSync } from "node:zlib";
import { to8 } from "../../image/color.ts";
import { decodeImage } from "../../image/decode.ts";
import { encodePng, writePng } from "../../image/encode.ts";
import { crc32, pngParts, zlibStream } from "../../image/png-writer.ts";
import { rowsOf } from "../../image/rows.ts";
import { makeImage, type Image } from "../../image/types.ts";

/** Samples in and out of [0, 1], NaN included, from a fixed seed. */
function awkward(width: number, height: number, channels: number, seed = 7): Image {
  const img = makeImage(width, height, channels);
  let a = seed;
  for (let i = 0; i < img.data.length; i++) {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    img.data[i] = i % 17 === 5 ? NaN : (a / 2 ** 32) * 1.4 - 0.2;
  }
  return img;
}

interface Chunk {
  type: string;
  body: Uint8Array;
}

/** The chunks after the signature, each CRC checked against node:zlib's. */
function chunks(png: Uint8Array): Chunk[] {
  expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: Chunk[] = [];
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    expect(view.getUint32(at + 8 + length)).toBe(zlibCrc32(png.subarray(at + 4, at + 8 + length)) >>> 0);
    out.push({ type, body: png.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  return out;
}

/** The 8-bit samples of PNG image data, un-filtered as the specification defines each filter type. */
function unfilter(data: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const rowBytes = width * bpp;
  expect(data.length).toBe(height * (rowBytes + 1));
  const out = new Uint8Array(height * rowBytes);
  for (let y = 0; y < height; y++) {
    const type = data[y * (rowBytes + 1)];
    for (let i = 0; i < rowBytes; i++) {
      const x = data[y * (rowBytes + 1) + 1 + i];
      const a = i >= bpp ? out[y * rowBytes + i - bpp] : 0;
      const b = y > 0 ? out[(y - 1) * rowBytes + i] : 0;
      const predicted = [0, a, b, Math.floor((a + b) / 2)][type];
      if (predicted === undefined) throw new Error(`row ${y}: filter type ${type}`);
      out[y * rowBytes + i] = (x + predicted) % 256;
    }
  }
  return out;
}

describe("PNG writer", () => {
  test("1–4 channels, awkward sizes: chunks, CRCs, zlib stream and Average-filtered rows hold the rounded samples", () => {
    for (const channels of [1, 2, 3, 4]) {
      for (const [width, height] of [[1, 1], [7, 5], [13, 3], [2, 9]]) {
        const img = awkward(width, height, channels, width * 31 + channels);
        const png = new Uint8Array(encodePng(img));
        const parts = chunks(png);
        expect(parts.map((c) => c.type)).toEqual(["IHDR", "IDAT", "IEND"]);
        const ihdr = new DataView(parts[0].body.buffer, parts[0].body.byteOffset, 13);
        expect([ihdr.getUint32(0), ihdr.getUint32(4)]).toEqual([width, height]);
        expect(Array.from(parts[0].body.subarray(8))).toEqual([8, [0, 0, 4, 2, 6][channels], 0, 0, 0]);
        const data = inflateSync(parts[1].body);
        for (let y = 0; y < height; y++) expect(data[y * (width * channels + 1)]).toBe(3);
        expect(Array.from(unfilter(data, width, height, channels))).toEqual(Array.from(img.data, to8));
        // and pngjs reads the same samples
        const back = decodeImage(png, "w.png", { alpha: true });
        expect(back.channels).toBe(channels);
        expect(Array.from(back.data, (v) => Math.round(v * 255))).toEqual(Array.from(img.data, to8));
      }
    }
  });

  test("rows computed on request encode to the same bytes as the whole image", () => {
    const img = awkward(11, 6, 3);
    const asked: number[] = [];
    const whole = rowsOf(img);
    const rows = { ...whole, row: (y: number) => (asked.push(y), whole.row(y)) };
    expect(Buffer.compare(encodePng(rows), encodePng(img))).toBe(0);
    expect(asked).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test("writePng writes the parts as they are: the file holds encodePng's bytes", () => {
    const img = awkward(23, 17, 4);
    const dir = mkdtempSync(join(tmpdir(), "png-writer-"));
    try {
      writePng(join(dir, "a.png"), img);
      expect(Buffer.compare(readFileSync(join(dir, "a.png")), encodePng(img))).toBe(0);
      expect(readdirSync(dir)).toEqual(["a.png"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("image data split over several IDAT chunks decodes the same", () => {
    const img = awkward(40, 30, 3);
    const png = new Uint8Array(Buffer.concat(pngParts(rowsOf(img), 100)));
    const idats = chunks(png).filter((c) => c.type === "IDAT");
    expect(idats.length).toBeGreaterThan(5);
    expect(idats.slice(0, -1).every((c) => c.body.length === 100)).toBe(true);
    expect(Array.from(decodeImage(png, "split.png").data, (v) => Math.round(v * 255))).toEqual(Array.from(img.data, to8));
  });

  test("zlib stream: libdeflate under Bun and node:zlib elsewhere both inflate back, Adler-32 checked", () => {
    const bytes = new Uint8Array(100_000).map((_, i) => (i * i) % 251);
    const bun = Buffer.concat(zlibStream(bytes));
    expect([bun[0], bun[1]]).toEqual([0x78, 0x5e]);
    expect(Buffer.compare(inflateSync(bun), bytes)).toBe(0);
    expect(Buffer.compare(inflateSync(Buffer.concat(zlibStream(bytes, null))), bytes)).toBe(0);
    const corrupt = bun.slice();
    corrupt[corrupt.length - 1] ^= 1;
    expect(() => inflateSync(corrupt)).toThrow();
  });

  test("CRC-32: the table here equals node:zlib's, and the standard check value, whole or continued part by part", () => {
    const check = new TextEncoder().encode("123456789");
    for (const native of [null, undefined]) {
      expect(crc32(check, 0, native)).toBe(0xcbf43926);
      expect(crc32(check.subarray(4), crc32(check.subarray(0, 4), 0, native), native)).toBe(0xcbf43926);
    }
    expect(crc32(new Uint8Array(0), 0, null)).toBe(0);
    const random = new Uint8Array(5000).map((_, i) => (i * 7919 + (i >> 3)) & 255);
    expect(crc32(random, 0, null)).toBe(zlibCrc32(random) >>> 0);
  });
});
