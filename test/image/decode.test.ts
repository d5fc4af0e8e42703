import { describe, expect, test, beforeAll, afterAll } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import jpeg from "jpeg-js";
import { MAX_PIXELS, decodeImage, decodeJpeg, decodePng, imageInfo, readImage, readImageInfo, sniffFormat } from "../../image/decode.ts";
import { encodePng, writePng } from "../../image/encode.ts";
import { makeImage, type Image } from "../../image/types.ts";
import { FIXTURES, fixture, maxAbsDiff } from "./helpers.ts";

const FILES = join(FIXTURES, "files");
const expected = fixture<{ files: Record<string, { width: number; height: number; channels: number; samples: number[]; max: number; tolerance?: number }> }>("decode.json").files;

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "image-decode-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("decode against PIL-written fixtures", () => {
  for (const [name, e] of Object.entries(expected)) {
    test(name, () => {
      const img = readImage(join(FILES, name));
      expect(img.width).toBe(e.width);
      expect(img.height).toBe(e.height);
      expect(img.channels).toBe(e.channels);
      const want = e.samples.map((v) => v / e.max);
      const diff = maxAbsDiff(img.data, want);
      expect(diff).toBeLessThanOrEqual(e.tolerance !== undefined ? e.tolerance / 255 : 1e-6);
    });
  }
});

describe("magic bytes, not extension", () => {
  test("a PNG named .jpg and a JPEG named .png decode", () => {
    const png = join(tmp, "really-png.jpg");
    writeFileSync(png, readFileSync(join(FILES, "rgb8.png")));
    expect(readImage(png).channels).toBe(3);
    const jpg = join(tmp, "really-jpeg.png");
    writeFileSync(jpg, readFileSync(join(FILES, "colour.jpg")));
    expect(readImage(jpg).width).toBe(32);
  });
  test("sniffFormat", () => {
    expect(sniffFormat(readFileSync(join(FILES, "rgb8.png")))).toBe("png");
    expect(sniffFormat(readFileSync(join(FILES, "grey.jpg")))).toBe("jpeg");
    expect(sniffFormat(new Uint8Array([1, 2, 3]))).toBeNull();
  });
});

describe("error paths name the file and the problem", () => {
  const bad = (name: string, bytes: Uint8Array | string) => {
    const p = join(tmp, name);
    writeFileSync(p, bytes);
    return p;
  };
  test("empty file", () => {
    const p = bad("empty.png", new Uint8Array(0));
    expect(() => readImage(p)).toThrow(`${p}: empty file`);
  });
  test("text file", () => {
    const p = bad("notes.png", "hello, I am not an image\n");
    expect(() => readImage(p)).toThrow(/notes\.png: unsupported or unrecognised image format/);
  });
  test("missing file", () => {
    const p = join(tmp, "nope.png");
    expect(() => readImage(p)).toThrow(`${p}: file not found`);
  });
  test("directory", () => {
    const p = join(tmp, "adir");
    mkdirSync(p);
    expect(() => readImage(p)).toThrow(/adir: is a directory/);
  });
  test("truncated PNG (every prefix length fails cleanly)", () => {
    const full = readFileSync(join(FILES, "rgb8.png"));
    for (let n = 8; n < full.length - 12; n += 7) {
      const p = bad(`trunc${n}.png`, full.subarray(0, n));
      expect(() => readImage(p)).toThrow(new RegExp(`trunc${n}\\.png: (truncated|corrupt)`));
    }
  });
  test("corrupt PNG data (CRC / zlib)", () => {
    const full = new Uint8Array(readFileSync(join(FILES, "rgb8.png")));
    const idat = Buffer.from(full).indexOf("IDAT");
    const broken = full.slice();
    for (let i = idat + 4; i < idat + 20; i++) broken[i] ^= 0x5a;
    const p = bad("corrupt.png", broken);
    expect(() => readImage(p)).toThrow(/corrupt\.png: corrupt or truncated PNG/);
  });
  test("truncated and corrupt JPEG", () => {
    const full = readFileSync(join(FILES, "colour.jpg"));
    for (const n of [3, 20, 200, Math.floor(full.length / 2), full.length - 2]) {
      const p = bad(`trunc${n}.jpg`, full.subarray(0, n));
      expect(() => readImage(p)).toThrow(new RegExp(`trunc${n}\\.jpg: corrupt or truncated JPEG`));
    }
    const garbage = new Uint8Array(300).map((_, i) => (i * 37) & 255);
    garbage.set([0xff, 0xd8, 0xff], 0);
    const p = bad("garbage.jpg", garbage);
    expect(() => readImage(p)).toThrow(/garbage\.jpg: corrupt or truncated JPEG/);
  });
  test("decoders called directly on the wrong format", () => {
    const png = readFileSync(join(FILES, "rgb8.png"));
    const jpg = readFileSync(join(FILES, "grey.jpg"));
    expect(() => decodeJpeg(png, "x.png")).toThrow("x.png: not a JPEG file");
    expect(() => decodePng(jpg, "y.jpg")).toThrow("y.jpg: not a PNG file");
    expect(() => decodeImage(new Uint8Array(0), "z")).toThrow("z: empty file");
  });
});

describe("encode", () => {
  test("8-bit round trip (1 and 3 channels), values quantised", () => {
    for (const c of [1, 3]) {
      const w = 7, h = 5;
      const data = new Float32Array(w * h * c).map((_, i) => ((i * 53) % 256) / 255);
      data[0] = -0.3; // clamped to 0
      data[1] = 1.7; // clamped to 1
      const p = join(tmp, `rt${c}.png`);
      writePng(p, makeImage(w, h, c, data));
      const back = readImage(p);
      expect(back.channels).toBe(c);
      const want = Array.from(data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255) / 255);
      expect(maxAbsDiff(back.data, want)).toBeLessThan(1e-7);
    }
  });
  test("atomic write leaves no temporary file, and a failed write leaves nothing", () => {
    const p = join(tmp, "atomic.png");
    writePng(p, makeImage(2, 2, 1));
    const { readdirSync } = require("node:fs") as typeof import("node:fs");
    expect(readdirSync(tmp).filter((f: string) => f.includes("atomic"))).toEqual(["atomic.png"]);
    const missingDir = join(tmp, "no-such-dir", "out.png");
    expect(() => writePng(missingDir, makeImage(2, 2, 1))).toThrow(/no-such-dir\/out\.png: cannot write PNG/);
    expect(readdirSync(tmp).some((f: string) => f.endsWith(".tmp"))).toBe(false);
  });
  test("rejects unsupported channel counts", () => {
    expect(() => encodePng(makeImage(2, 2, 5))).toThrow(/cannot write 5 channels/);
  });
  test("alpha: kept on request (grey+alpha → 2 channels, RGBA → 4), round-trips through encodePng; dropped by default", () => {
    for (const channels of [2, 4]) {
      const img = makeImage(3, 2, channels);
      img.data.forEach((_, i) => (img.data[i] = ((i * 37) % 256) / 255));
      const bytes = new Uint8Array(encodePng(img));
      const kept = decodeImage(bytes, "x.png", { alpha: true });
      expect(kept.channels).toBe(channels);
      expect(Array.from(kept.data, (v) => Math.round(v * 255))).toEqual(Array.from(img.data, (v) => Math.round(v * 255)));
      expect(decodeImage(bytes, "x.png").channels).toBe(channels - 1);
    }
    // an image without alpha is unchanged by the option
    expect(decodeImage(new Uint8Array(readFileSync(join(FILES, "rgb8.png"))), "rgb8.png", { alpha: true }).channels).toBe(3);
  });
  test("tRNS of a grey PNG does not zero the colour", () => {
    // grey8.png with an added tRNS chunk naming the value of the first pixel
    const src = new Uint8Array(readFileSync(join(FILES, "grey8.png")));
    const first = expected["grey8.png"].samples[0];
    const crc = (bytes: Uint8Array) => {
      let c = ~0;
      for (const b of bytes) {
        c ^= b;
        for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
      }
      return ~c >>> 0;
    };
    const body = new Uint8Array([0x74, 0x52, 0x4e, 0x53, 0, first]);
    const chunk = new Uint8Array(4 + body.length + 4);
    new DataView(chunk.buffer).setUint32(0, 2);
    chunk.set(body, 4);
    new DataView(chunk.buffer).setUint32(4 + body.length, crc(body));
    const withTrns = new Uint8Array(src.length + chunk.length);
    withTrns.set(src.subarray(0, 33));
    withTrns.set(chunk, 33);
    withTrns.set(src.subarray(33), 33 + chunk.length);
    const img = decodePng(withTrns, "trns.png");
    expect(img.data[0]).toBeCloseTo(first / 255, 6);
  });
});

// ---- hand-built PNGs: signature, IHDR, one IDAT, IEND, each chunk with its CRC ----

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A PNG with the given IHDR fields and `idat` (already deflated) as its only IDAT chunk. */
function buildPng(width: number, height: number, colorType: number, idat: Uint8Array, interlace = 0): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, colorType, 0, 0, interlace], 8); // depth 8, compression, filter, interlace
  const signature = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk("IHDR", ihdr), pngChunk("IDAT", idat), pngChunk("IEND", new Uint8Array(0))]);
}

/** Grey 8-bit test pattern, value at (x, y). */
const pattern = (x: number, y: number) => (x * 37 + y * 101 + ((x * y) % 7) * 13) & 255;

/** Unfiltered scanlines (filter byte 0) of a w×h grey pattern; Adam7 passes one after another when interlaced. */
function greyScanlines(w: number, h: number, interlaced: boolean): Uint8Array {
  const passes = interlaced
    ? [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]]
    : [[0, 0, 1, 1]];
  const bytes: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    for (let y = y0; y < h; y += dy) {
      if (x0 >= w) continue; // an empty pass has no rows at all, not even filter bytes
      bytes.push(0);
      for (let x = x0; x < w; x += dx) bytes.push(pattern(x, y));
    }
  }
  return new Uint8Array(bytes);
}

describe("pixel limit (refused from the header, before decoding)", () => {
  const huge = () => buildPng(12000, 12000, 2, deflateSync(new Uint8Array(64)));
  test("a tiny PNG declaring 12000x12000 is refused quickly, naming the file, size, limit and the way out", () => {
    expect(MAX_PIXELS).toBe(100_000_000);
    const bytes = huge();
    expect(bytes.length).toBeLessThan(100);
    const p = join(tmp, "huge.png");
    writeFileSync(p, bytes);
    const rss = process.memoryUsage().rss;
    const t0 = performance.now();
    let message = "";
    try {
      readImage(p);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(performance.now() - t0).toBeLessThan(500);
    expect(process.memoryUsage().rss - rss).toBeLessThan(100e6); // decoding would need > 2 GB
    expect(message).toContain(`${p}: image is 12000x12000 = 144000000 pixels, over the limit of 100000000 pixels`);
    expect(message).toContain("PISR_MAX_PIXELS=144000000");
    expect(message).toContain("maxPixels");
  });
  test("a JPEG whose SOF declares 12000x12000 is refused from the header", () => {
    const bytes = new Uint8Array(readFileSync(join(FILES, "colour.jpg")));
    const sof = Buffer.from(bytes).indexOf(Buffer.from([0xff, 0xc0]));
    expect(sof).toBeGreaterThan(0);
    new DataView(bytes.buffer).setUint16(sof + 5, 12000); // height
    new DataView(bytes.buffer).setUint16(sof + 7, 12000); // width
    expect(() => decodeImage(bytes, "huge.jpg")).toThrow("huge.jpg: image is 12000x12000 = 144000000 pixels, over the limit of 100000000 pixels");
  });
  test("maxPixels option: the limit is inclusive, and raising it lets the header through", () => {
    const png = readFileSync(join(FILES, "rgb8.png")); // 5x4
    expect(decodePng(png, "rgb8.png", { maxPixels: 20 }).width).toBe(5);
    expect(() => decodePng(png, "rgb8.png", { maxPixels: 19 })).toThrow("rgb8.png: image is 5x4 = 20 pixels, over the limit of 19 pixels");
    expect(() => readImage(join(FILES, "colour.jpg"), { maxPixels: 100 })).toThrow(/colour\.jpg: image is 32x24 = 768 pixels, over the limit of 100/);
    expect(() => decodeImage(png, "z.png", { maxPixels: 0 })).toThrow("z.png: maxPixels must be a positive number");
    // past the limit, the 12000x12000 PNG's few bytes of data are then caught as truncated (nothing allocated)
    expect(() => decodePng(huge(), "huge.png", { maxPixels: 2e8 })).toThrow(/huge\.png: corrupt or truncated PNG: image data ends after 64 of \d+ bytes/);
  });
  test("PISR_MAX_PIXELS sets the default; the option wins over it; a bad value is an error", () => {
    const saved = process.env.PISR_MAX_PIXELS;
    try {
      process.env.PISR_MAX_PIXELS = "19";
      expect(() => readImage(join(FILES, "rgb8.png"))).toThrow(/rgb8\.png: image is 5x4 = 20 pixels, over the limit of 19 pixels/);
      expect(readImage(join(FILES, "rgb8.png"), { maxPixels: 20 }).height).toBe(4);
      process.env.PISR_MAX_PIXELS = "200000000";
      expect(() => decodePng(huge(), "huge.png")).toThrow(/huge\.png: corrupt or truncated PNG/); // past the limit
      process.env.PISR_MAX_PIXELS = "lots";
      expect(() => readImage(join(FILES, "rgb8.png"))).toThrow(/rgb8\.png: PISR_MAX_PIXELS must be a positive number of pixels, got 'lots'/);
    } finally {
      if (saved === undefined) delete process.env.PISR_MAX_PIXELS;
      else process.env.PISR_MAX_PIXELS = saved;
    }
  });
});

describe("PNG image data cut short", () => {
  const w = 40, h = 30;
  const raw = new Uint8Array((w * 3 + 1) * h).map((_, i) => (i % (w * 3 + 1) === 0 ? 0 : (i * 7919 + (i >> 5)) & 255));
  const z = deflateSync(raw);
  test("the hand-built PNG decodes when whole", () => {
    const img = decodePng(buildPng(w, h, 2, z), "whole.png");
    expect([img.width, img.height, img.channels]).toEqual([w, h, 3]);
    const samples = raw.filter((_, i) => i % (w * 3 + 1) !== 0); // drop each row's filter byte (0 = none)
    expect(maxAbsDiff(img.data, Array.from(samples, (v) => v / 255))).toBeLessThan(1e-7);
  });
  test("a zlib stream cut short inside intact chunks is an error naming the file", () => {
    for (const n of [2, 10, z.length >> 1, z.length - 10, z.length - 1]) {
      const p = join(tmp, `cutzlib${n}.png`);
      writeFileSync(p, buildPng(w, h, 2, z.subarray(0, n)));
      expect(() => readImage(p)).toThrow(new RegExp(`cutzlib${n}\\.png: corrupt or truncated PNG: compressed image data is cut short`));
    }
  });
  test("a complete zlib stream holding too few rows is an error", () => {
    const p = join(tmp, "fewrows.png");
    writeFileSync(p, buildPng(w, h, 2, deflateSync(raw.subarray(0, (w * 3 + 1) * (h - 3)))));
    expect(() => readImage(p)).toThrow(`${p}: corrupt or truncated PNG: image data ends after ${(w * 3 + 1) * (h - 3)} of ${(w * 3 + 1) * h} bytes`);
  });
  test("the file cut inside its IDAT chunk is an error", () => {
    const full = buildPng(w, h, 2, z);
    const p = join(tmp, "cutfile.png");
    writeFileSync(p, full.subarray(0, 33 + 8 + (z.length >> 1)));
    expect(() => readImage(p)).toThrow(/cutfile\.png: (corrupt or )?truncated/);
  });
  test("interlaced (Adam7) and plain PNGs of odd sizes decode exactly; cut interlaced data is an error", () => {
    for (const [iw, ih] of [[13, 11], [1, 1], [3, 9], [9, 2]]) {
      const want = Array.from({ length: iw * ih }, (_, i) => pattern(i % iw, Math.floor(i / iw)) / 255);
      for (const interlace of [0, 1]) {
        const data = deflateSync(greyScanlines(iw, ih, interlace === 1));
        const img = decodePng(buildPng(iw, ih, 0, data, interlace), `i${interlace}.png`);
        expect([img.width, img.height, img.channels]).toEqual([iw, ih, 1]);
        expect(maxAbsDiff(img.data, want)).toBeLessThan(1e-7);
      }
    }
    const cut = deflateSync(greyScanlines(13, 11, true).subarray(0, 100));
    expect(() => decodePng(buildPng(13, 11, 0, cut, 1), "cut-interlaced.png")).toThrow(/cut-interlaced\.png: corrupt or truncated PNG: image data ends after 100 of \d+ bytes/);
  });
});

// ---- JPEGs with an EXIF Orientation tag ----

/** APP1 "Exif" segment whose IFD0 holds a Make entry, then Orientation = `value` (type SHORT unless given). */
function exifSegment(value: number, order: "II" | "MM", type = 3): Uint8Array {
  const le = order === "II";
  const tiff = new Uint8Array(8 + 2 + 2 * 12 + 4);
  const v = new DataView(tiff.buffer);
  tiff.set([order.charCodeAt(0), order.charCodeAt(1)], 0);
  v.setUint16(2, 42, le);
  v.setUint32(4, 8, le); // IFD0 right after the header
  v.setUint16(8, 2, le); // two entries
  v.setUint16(10, 0x010f, le); // Make, ASCII, 4 bytes inline: "abc\0"
  v.setUint16(12, 2, le);
  v.setUint32(14, 4, le);
  tiff.set([0x61, 0x62, 0x63, 0], 18);
  v.setUint16(22, 0x0112, le); // Orientation
  v.setUint16(24, type, le);
  v.setUint32(26, 1, le);
  if (type === 3) v.setUint16(30, value, le);
  else v.setUint32(30, value, le);
  return app1(Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]));
}

/** An APP1 segment (marker, length, payload). */
function app1(payload: Uint8Array): Uint8Array {
  const seg = new Uint8Array(4 + payload.length);
  seg.set([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 255]);
  seg.set(payload, 4);
  return seg;
}

/** `jpegBytes` with the given segments inserted right after SOI. */
function withSegments(jpegBytes: Uint8Array, ...segments: Uint8Array[]): Uint8Array {
  return Buffer.concat([jpegBytes.subarray(0, 2), ...segments, jpegBytes.subarray(2)]);
}

/** Rotate 90° clockwise (the top-left pixel goes to the top-right). */
function rot90(img: Image): Image {
  const { width: w, height: h, channels: c } = img;
  const out = makeImage(h, w, c);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < c; k++) out.data[(x * h + (h - 1 - y)) * c + k] = img.data[(y * w + x) * c + k];
  return out;
}

/** Mirror left-right. */
function flipH(img: Image): Image {
  const { width: w, height: h, channels: c } = img;
  const out = makeImage(w, h, c);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < c; k++) out.data[(y * w + (w - 1 - x)) * c + k] = img.data[(y * w + x) * c + k];
  return out;
}

/** What EXIF orientation o means (EXIF 2.3 / PIL's exif_transpose), built from rotations and mirrors. */
const upright: Record<number, (img: Image) => Image> = {
  1: (i) => i,
  2: (i) => flipH(i),
  3: (i) => rot90(rot90(i)),
  4: (i) => flipH(rot90(rot90(i))),
  5: (i) => flipH(rot90(i)),
  6: (i) => rot90(i),
  7: (i) => flipH(rot90(rot90(rot90(i)))),
  8: (i) => rot90(rot90(rot90(i))),
};

describe("EXIF orientation (JPEG)", () => {
  // 24x16, asymmetric: a horizontal and a vertical ramp plus a bright block near the top-left corner
  const w = 24, h = 16;
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const bright = x < 6 && y < 4;
      rgba.set([bright ? 255 : x * 10, bright ? 255 : y * 15, bright ? 255 : 60, 255], (y * w + x) * 4);
    }
  }
  const plainJpeg = new Uint8Array(jpeg.encode({ data: rgba, width: w, height: h }, 95).data);
  const plain = decodeJpeg(plainJpeg, "plain.jpg");

  test("orientations 1-8, both byte orders, equal the stored image turned accordingly (exactly)", () => {
    for (const order of ["II", "MM"] as const) {
      for (let o = 1; o <= 8; o++) {
        const img = decodeJpeg(withSegments(plainJpeg, exifSegment(o, order)), `o${o}.jpg`);
        const want = upright[o](plain);
        expect([o, img.width, img.height, img.channels]).toEqual([o, want.width, want.height, 3]);
        expect(maxAbsDiff(img.data, want.data)).toBe(0);
      }
    }
  });
  test("orientation 6 (a phone held upright): the landscape-stored picture comes out portrait, top-left block at top-right", () => {
    const p = join(tmp, "portrait.jpg");
    writeFileSync(p, withSegments(plainJpeg, exifSegment(6, "MM")));
    const img = readImage(p);
    expect([img.width, img.height]).toEqual([h, w]);
    const blue = (x: number, y: number) => img.data[(y * img.width + x) * 3 + 2]; // 1 in the block, 60/255 elsewhere
    expect(blue(img.width - 1, 0)).toBeGreaterThan(0.9);
    expect(blue(0, 0)).toBeLessThan(0.5);
    expect(blue(0, img.height - 1)).toBeLessThan(0.5);
    expect(blue(img.width - 1, img.height - 1)).toBeLessThan(0.5);
    expect(readImageInfo(p)).toEqual({ format: "jpeg", width: h, height: w, channels: 3 }); // info agrees with readImage
    expect(imageInfo(withSegments(plainJpeg, exifSegment(3, "II")))).toMatchObject({ width: w, height: h });
  });
  test("an XMP APP1 segment before the Exif one does not hide it", () => {
    const xmp = app1(Buffer.from("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>", "latin1"));
    const img = decodeJpeg(withSegments(plainJpeg, xmp, exifSegment(8, "II")), "xmp.jpg");
    expect(maxAbsDiff(img.data, upright[8](plain).data)).toBe(0);
  });
  test("malformed or out-of-range EXIF is ignored (decoded as stored), never an error", () => {
    const good = exifSegment(6, "II");
    const payload = good.subarray(4); // "Exif\0\0" + TIFF
    const patched = (at: number, bytes: number[]) => {
      const p = new Uint8Array(payload);
      p.set(bytes, 6 + at);
      return app1(p);
    };
    const cases: Record<string, Uint8Array> = {
      "TIFF header cut short": app1(payload.subarray(0, 10)),
      "IFD cut short": app1(payload.subarray(0, 6 + 8 + 2 + 12 + 5)),
      "bad byte order": patched(0, [0x58, 0x58]),
      "bad magic": patched(2, [43, 0]),
      "IFD0 offset past the end": patched(4, [0xff, 0xff, 0, 0]),
      "entry count past the end": patched(8, [0xff, 0xff]),
      "orientation 0": exifSegment(0, "II"),
      "orientation 9": exifSegment(9, "MM"),
      "orientation 65535": exifSegment(65535, "II"),
      "orientation typed LONG": exifSegment(6, "II", 4),
      "not Exif": app1(Buffer.from("Exig\0\0II*\0", "latin1")),
      "empty APP1": app1(new Uint8Array(0)),
    };
    for (const [what, seg] of Object.entries(cases)) {
      const img = decodeJpeg(withSegments(plainJpeg, seg), `${what}.jpg`);
      expect([what, img.width, img.height]).toEqual([what, w, h]);
      expect(maxAbsDiff(img.data, plain.data)).toBe(0);
    }
  });
  test("the fixture JPEGs carry no orientation and decode as before", () => {
    expect(readImageInfo(join(FILES, "colour.jpg"))).toMatchObject({ width: 32, height: 24 });
  });
});
