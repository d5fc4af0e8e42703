import { describe, expect, test, beforeAll, afterAll } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeImage, decodeJpeg, decodePng, readImage, sniffFormat } from "../../image/decode.ts";
import { encodePng, writePng } from "../../image/encode.ts";
import { makeImage } from "../../image/types.ts";
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
    expect(() => encodePng(makeImage(2, 2, 2))).toThrow(/cannot write 2 channels/);
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
