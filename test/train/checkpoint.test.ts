import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  loadCheckpoint,
  saveCheckpoint,
  type StateDict,
} from "../../train/checkpoint.ts";

const FIXTURES = resolve(dirname(import.meta.path), "..", "fixtures", "train");
const fixtureJson = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), "utf8"));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ckpt-test-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

function sample(): StateDict {
  const sd: StateDict = new Map();
  // special values travel bit-exactly (incl. -0, NaN payload, subnormal)
  const special = new Float32Array([0, -0, 1, -1.5, Infinity, -Infinity, NaN, 1e-45, 3.4028234663852886e38, Math.fround(Math.PI)]);
  new Uint32Array(special.buffer)[6] = 0x7fa12345; // a signalling NaN with a payload
  sd.set("backbone.network.feature_extraction.0.0.weight", { shape: [2, 1, 5], data: special });
  sd.set("scalar", { shape: [], data: new Float32Array([42]) });
  sd.set("empty", { shape: [0, 3], data: new Float32Array(0) });
  sd.set("0", { shape: [3], data: new Float32Array([7, 8, 9]) }); // integer-like name keeps its position
  sd.set("optimizer.0.m", { shape: [4], data: Float32Array.from({ length: 4 }, (_, i) => Math.fround(i / 3)) });
  return sd;
}

/** Builds a safetensors file with an arbitrary header (header JSON text or object) and data section. */
function craft(header: unknown, data: Uint8Array = new Uint8Array(0), pad = true): Uint8Array {
  let h = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  if (pad && h.length % 8) {
    const p = new Uint8Array(Math.ceil(h.length / 8) * 8).fill(0x20);
    p.set(h);
    h = p;
  }
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function expectError(fn: () => unknown, source: string, pattern: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CheckpointError);
  expect((err as Error).message.startsWith(`${source}: `)).toBe(true);
  expect((err as Error).message).toMatch(pattern);
}

describe("safetensors encode/decode", () => {
  test("round trip: names in order, shapes, bit-exact values, metadata incl. JSON-encoded config", () => {
    const sd = sample();
    const config = { model: "fsrcnn", scale: 2, d: 56, s: 12, m: 4, nested: { lr: 1e-3, betas: [0.9, 0.999] } };
    const meta = { format: "pt", step: "1200", config: JSON.stringify(config), unicode: "héllo ✓" };
    const { tensors, metadata } = decodeSafetensors(encodeSafetensors(sd, meta));
    expect([...tensors.keys()]).toEqual([...sd.keys()]);
    for (const [name, t] of sd) {
      const got = tensors.get(name)!;
      expect(got.shape).toEqual(t.shape);
      expect(got.data).toBeInstanceOf(Float32Array);
      expect(bits(got.data)).toEqual(bits(t.data));
    }
    expect(metadata).toEqual(meta);
    expect(JSON.parse(metadata.config)).toEqual(config);
  });

  test("layout: u64 header length, header padded with spaces to 8, tensors contiguous in write order", () => {
    for (let extra = 0; extra < 9; extra++) {
      const sd: StateDict = new Map([["w" + "x".repeat(extra), { shape: [2], data: new Float32Array([1, 2]) }]]);
      sd.set("b", { shape: [1], data: new Float32Array([3]) });
      const bytes = encodeSafetensors(sd, { k: "v".repeat(extra) });
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect((8 + n) % 8).toBe(0);
      const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      expect(headerText).toMatch(/^\{.*\} *$/);
      const header = JSON.parse(headerText);
      expect(header.__metadata__).toEqual({ k: "v".repeat(extra) });
      expect(header["w" + "x".repeat(extra)]).toEqual({ dtype: "F32", shape: [2], data_offsets: [0, 8] });
      expect(header.b).toEqual({ dtype: "F32", shape: [1], data_offsets: [8, 12] });
      expect(bytes.length).toBe(8 + n + 12);
      expect(Array.from(new Float32Array(bytes.slice(8 + n).buffer))).toEqual([1, 2, 3]);
    }
  });

  test("empty tensor list (with and without metadata)", () => {
    const bare = encodeSafetensors(new Map());
    expect(bare.length % 8).toBe(0);
    expect(decodeSafetensors(bare)).toEqual({ tensors: new Map(), metadata: {} });
    const withMeta = decodeSafetensors(encodeSafetensors(new Map(), { a: "1" }));
    expect(withMeta.tensors.size).toBe(0);
    expect(withMeta.metadata).toEqual({ a: "1" });
  });

  test("decoded data does not alias the input buffer; unaligned input works", () => {
    const bytes = encodeSafetensors(new Map([["w", { shape: [3], data: new Float32Array([1, 2, 3]) }]]));
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const { tensors } = decodeSafetensors(shifted.subarray(1));
    shifted.fill(0);
    expect(Array.from(tensors.get("w")!.data)).toEqual([1, 2, 3]);
  });

  test("reads unpadded headers and a header of only whitespace padding after the JSON", () => {
    const data = new Uint8Array(new Float32Array([5]).buffer);
    const { tensors } = decodeSafetensors(craft('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', data, false));
    expect(Array.from(tensors.get("a")!.data)).toEqual([5]);
  });

  test("tensors come back in byte order even if the header lists them differently", () => {
    const data = new Uint8Array(new Float32Array([1, 2]).buffer);
    const h = { second: { dtype: "F32", shape: [1], data_offsets: [4, 8] }, first: { dtype: "F32", shape: [1], data_offsets: [0, 4] } };
    const { tensors } = decodeSafetensors(craft(h, data));
    expect([...tensors.keys()]).toEqual(["first", "second"]);
    expect(tensors.get("second")!.data[0]).toBe(2);
  });
});

describe("safetensors errors name the file and the problem", () => {
  const src = "runs/x/ckpt.safetensors";
  const f32 = (n: number) => new Uint8Array(4 * n);
  const entry = (dtype: string, shape: number[], offs: unknown) => ({ dtype, shape, data_offsets: offs });

  test("file shorter than 8 bytes", () => {
    expectError(() => decodeSafetensors(new Uint8Array(5), src), src, /5 bytes, shorter than the 8-byte/);
    expectError(() => decodeSafetensors(new Uint8Array(0), src), src, /0 bytes/);
  });
  test("header length beyond the file size (incl. > 2^53)", () => {
    const b = craft({}, new Uint8Array(0));
    new DataView(b.buffer).setBigUint64(0, 1000n, true);
    expectError(() => decodeSafetensors(b, src), src, /header length 1000 runs past the end of the file/);
    new DataView(b.buffer).setBigUint64(0, 0xffffffffffffffffn, true);
    expectError(() => decodeSafetensors(b, src), src, /header length 18446744073709551615 runs past/);
  });
  test("invalid JSON, invalid UTF-8, non-object header", () => {
    expectError(() => decodeSafetensors(craft('{"a": {"dtype": '), src), src, /header is not valid JSON/);
    const bad = craft("{}      ");
    bad[9] = 0xff;
    expectError(() => decodeSafetensors(bad, src), src, /not valid UTF-8/);
    expectError(() => decodeSafetensors(craft("[1, 2]"), src), src, /header JSON is an array, expected an object/);
  });
  test("unknown and unsupported dtypes", () => {
    expectError(() => decodeSafetensors(craft({ w: entry("F33", [1], [0, 4]) }, f32(1)), src), src, /tensor "w": unknown dtype "F33"/);
    expectError(() => decodeSafetensors(craft({ w: entry("I64", [1], [0, 8]) }, new Uint8Array(8)), src), src, /tensor "w": dtype I64 is not supported/);
  });
  test("malformed entries: shape, offsets, missing fields", () => {
    expectError(() => decodeSafetensors(craft({ w: entry("F32", [-1], [0, 4]) }, f32(1)), src), src, /tensor "w": shape \[-1\]/);
    expectError(() => decodeSafetensors(craft({ w: entry("F32", [1], [0]) }, f32(1)), src), src, /tensor "w": data_offsets \[0\] is not a pair/);
    expectError(() => decodeSafetensors(craft({ w: { shape: [1], data_offsets: [0, 4] } }, f32(1)), src), src, /tensor "w": dtype is missing/);
    expectError(() => decodeSafetensors(craft({ w: 3 }, f32(1)), src), src, /tensor "w": header entry is a number/);
  });
  test("offsets out of range, reversed, or not matching shape × dtype size", () => {
    expectError(() => decodeSafetensors(craft({ w: entry("F32", [2], [0, 8]) }, f32(1)), src), src, /tensor "w": data_offsets \[0, 8\] run past the end of the data section \(4 bytes\)/);
    expectError(() => decodeSafetensors(craft({ w: entry("F32", [0], [4, 0]) }, f32(1)), src), src, /end before they begin/);
    expectError(() => decodeSafetensors(craft({ w: entry("F32", [2], [0, 4]) }, f32(1)), src), src, /span 4 bytes, but shape \[2\] of F32 needs 8/);
    expectError(() => decodeSafetensors(craft({ w: entry("F16", [2], [0, 8]) }, f32(2)), src), src, /span 8 bytes, but shape \[2\] of F16 needs 4/);
  });
  test("overlapping tensors, gaps, and trailing bytes", () => {
    const overlap = { a: entry("F32", [2], [0, 8]), b: entry("F32", [2], [4, 12]) };
    expectError(() => decodeSafetensors(craft(overlap, f32(3)), src), src, /tensor "b": data_offsets \[4, 12\] overlap the previous tensor/);
    const alias = { a: entry("F32", [2], [0, 8]), b: entry("F32", [2], [0, 8]) };
    expectError(() => decodeSafetensors(craft(alias, f32(2)), src), src, /overlap/);
    const gap = { a: entry("F32", [1], [0, 4]), b: entry("F32", [1], [8, 12]) };
    expectError(() => decodeSafetensors(craft(gap, f32(3)), src), src, /tensor "b": .*leave a gap after byte 4/);
    expectError(() => decodeSafetensors(craft({ a: entry("F32", [1], [0, 4]) }, f32(2)), src), src, /4 trailing bytes belong to no tensor/);
  });
  test("duplicated tensor name (JSON.parse alone would silently keep the last)", () => {
    const h = '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expectError(() => decodeSafetensors(craft(h, f32(2)), src), src, /tensor name "w" appears more than once/);
    // escaped spelling of the same name is still the same name
    const h2 = '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0077":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expectError(() => decodeSafetensors(craft(h2, f32(2)), src), src, /tensor name "w" appears more than once/);
    // keys inside string values and in different objects are not duplicates
    const ok = '{"__metadata__":{"w":"\\"w\\":1"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    expect(decodeSafetensors(craft(ok, f32(1)), src).metadata).toEqual({ w: '"w":1' });
  });
  test("non-string metadata (reading and writing)", () => {
    expectError(() => decodeSafetensors(craft({ __metadata__: { scale: 2 } }), src), src, /metadata "scale" is a number \(2\), but safetensors metadata values must be strings/);
    expectError(() => decodeSafetensors(craft({ __metadata__: ["x"] }), src), src, /"__metadata__" is an array/);
    expectError(() => encodeSafetensors(new Map(), { cfg: { a: 1 } } as any), "<buffer>", /metadata "cfg" is an object.*JSON-encode/);
  });
  test("writing: shape/data mismatch, non-Float32Array data, reserved name", () => {
    expectError(() => encodeSafetensors(new Map([["w", { shape: [2, 2], data: new Float32Array(3) }]])), "<buffer>", /tensor "w": shape \[2,2\] holds 4 elements but data has 3/);
    expectError(() => encodeSafetensors(new Map([["w", { shape: [2], data: [1, 2] as any }]])), "<buffer>", /tensor "w": data is an array, expected a Float32Array/);
    expectError(() => encodeSafetensors(new Map([["__metadata__", { shape: [0], data: new Float32Array(0) }]])), "<buffer>", /reserved/);
  });
});

describe("saveCheckpoint / loadCheckpoint", () => {
  const leftovers = (d: string) => readdirSync(d).filter((f) => f.includes(".tmp-"));

  test("save creates parent dirs, loads back identically, leaves no temp file", async () => {
    const path = join(dir, "a", "b", "model.safetensors");
    const sd = sample();
    await saveCheckpoint(path, sd, { epoch: "3" });
    expect(readdirSync(dirname(path))).toEqual(["model.safetensors"]);
    const { tensors, metadata } = await loadCheckpoint(path);
    expect(metadata).toEqual({ epoch: "3" });
    for (const [name, t] of sd) expect(bits(tensors.get(name)!.data)).toEqual(bits(t.data));
    // overwrite an existing checkpoint
    await saveCheckpoint(path, new Map([["only", { shape: [1], data: new Float32Array([9]) }]]));
    expect(readdirSync(dirname(path))).toEqual(["model.safetensors"]);
    expect([...(await loadCheckpoint(path)).tensors.keys()]).toEqual(["only"]);
  });

  test("load errors name the file", async () => {
    const missing = join(dir, "nope.safetensors");
    await expect(loadCheckpoint(missing)).rejects.toThrow(`${missing}: could not read checkpoint`);
    const short = join(dir, "short.safetensors");
    writeFileSync(short, new Uint8Array(3));
    await expect(loadCheckpoint(short)).rejects.toThrow(`${short}: file is 3 bytes, shorter than`);
  });

  test("invalid input fails before touching the disk; the previous file is unchanged", async () => {
    const d = join(dir, "invalid");
    const path = join(d, "ckpt.safetensors");
    await saveCheckpoint(path, new Map([["w", { shape: [1], data: new Float32Array([1]) }]]));
    const before = readFileSync(path);
    await expect(saveCheckpoint(path, new Map([["w", { shape: [2], data: new Float32Array(1) }]]))).rejects.toThrow(`${path}: tensor "w"`);
    await expect(saveCheckpoint(path, new Map(), { x: 1 as any })).rejects.toThrow(`${path}: metadata "x"`);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(leftovers(d)).toEqual([]);
  });

  test("path is a directory: the rename fails, the directory is untouched, the temp file is removed", async () => {
    const d = join(dir, "isdir");
    const path = join(d, "ckpt.safetensors");
    mkdirSync(join(path, "inner"), { recursive: true });
    writeFileSync(join(path, "inner", "keep.txt"), "keep");
    await expect(saveCheckpoint(path, sample())).rejects.toThrow(`${path}: could not save checkpoint`);
    expect(readdirSync(d)).toEqual(["ckpt.safetensors"]);
    expect(readFileSync(join(path, "inner", "keep.txt"), "utf8")).toBe("keep");
  });

  test("parent path is a file: fails with the file named, nothing created", async () => {
    const blocker = join(dir, "blocker");
    writeFileSync(blocker, "x");
    const path = join(blocker, "sub", "ckpt.safetensors");
    await expect(saveCheckpoint(path, sample())).rejects.toThrow(`${path}: could not save checkpoint`);
    expect(readFileSync(blocker, "utf8")).toBe("x");
  });

  // Root ignores directory permissions: as root, the failing save runs in a child process as user `nobody`.
  // The child cannot rely on reaching the repository (a clone may sit in a private directory), so it runs a
  // Node bundle of train/checkpoint.ts written next to the checkpoint, with the system's Node.
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  test("read-only directory: the previous file is unchanged and no temp file is left", async () => {
    const { chmodSync, chownSync } = await import("node:fs");
    const d = join(dir, "readonly");
    const path = join(d, "ckpt.safetensors");
    await saveCheckpoint(path, new Map([["w", { shape: [1], data: new Float32Array([1]) }]]));
    const before = readFileSync(path);
    chmodSync(d, 0o555);
    try {
      if (!isRoot) {
        await expect(saveCheckpoint(path, sample())).rejects.toThrow(`${path}: could not save checkpoint`);
      } else {
        const nobody = 65534;
        const childDir = join(dir, "child");
        const built = await Bun.build({ entrypoints: [resolve(import.meta.dir, "../../train/checkpoint.ts")], target: "node", outdir: childDir, naming: "checkpoint.mjs" });
        expect(built.success).toBe(true);
        writeFileSync(join(childDir, "save.mjs"), `import { saveCheckpoint } from "./checkpoint.mjs";
          try { await saveCheckpoint(${JSON.stringify(path)}, new Map([["w", { shape: [2], data: new Float32Array([7, 8]) }]])); console.log("SAVED"); }
          catch (e) { console.log(e.message); }`);
        chmodSync(dir, 0o755); // let the child reach d and its script
        chownSync(d, nobody, nobody);
        chownSync(path, nobody, nobody);
        const node = Bun.which("node") ?? "/usr/bin/node";
        const child = Bun.spawnSync(["setpriv", `--reuid=${nobody}`, `--regid=${nobody}`, "--clear-groups", node, join(childDir, "save.mjs")], { cwd: "/" });
        const out = child.stdout.toString() + child.stderr.toString();
        expect(out).toContain(`${path}: could not save checkpoint`);
        expect(out).not.toContain("SAVED");
      }
    } finally {
      chmodSync(d, 0o755);
    }
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(leftovers(d)).toEqual([]);
  });

  test("concurrent saves to one path: the result is one complete checkpoint, no temp files", async () => {
    const d = join(dir, "race");
    const path = join(d, "ckpt.safetensors");
    const dicts = Array.from({ length: 8 }, (_, k) => new Map([["w", { shape: [1000], data: new Float32Array(1000).fill(k) }]]) as StateDict);
    await Promise.all(dicts.map((sd, k) => saveCheckpoint(path, sd, { k: String(k) })));
    const { tensors, metadata } = await loadCheckpoint(path);
    expect(tensors.get("w")!.data.every((v) => v === Number(metadata.k))).toBe(true);
    expect(readdirSync(d)).toEqual(["ckpt.safetensors"]);
  });
});

describe("interoperability with PyTorch (fixtures by scripts/fixtures/safetensors_fixture.py)", () => {
  test("torch_state.safetensors: FSRCNN state-dict names, shapes, bit-exact values, metadata", async () => {
    const fx = fixtureJson("torch_state.json");
    const { tensors, metadata } = await loadCheckpoint(join(FIXTURES, "torch_state.safetensors"));
    expect(metadata).toEqual({ scale: "2", architecture: "fsrcnn" });
    expect([...tensors.keys()]).toEqual([
      "backbone.network.feature_extraction.0.0.weight",
      "backbone.network.feature_extraction.0.0.bias",
      "backbone.network.feature_extraction.0.1.weight",
    ]);
    for (const t of fx.tensors) {
      const got = tensors.get(t.name)!;
      expect(got.shape).toEqual(t.shape);
      expect(bits(got.data)).toEqual(t.bits);
    }
    const w = tensors.get("backbone.network.feature_extraction.0.0.weight")!;
    expect(w.shape).toEqual([56, 1, 5, 5]);
    expect(w.data.length).toBe(1400);
    expect(Math.max(...w.data.map(Math.abs))).toBeLessThan(0.1);
    expect(Array.from(tensors.get("backbone.network.feature_extraction.0.1.weight")!.data)).toEqual([0.25]);
  });

  test("torch_dtypes.safetensors: F16, BF16, F64 convert to float32 exactly as torch's .float()", async () => {
    const fx = fixtureJson("torch_dtypes.json");
    const { tensors } = await loadCheckpoint(join(FIXTURES, "torch_dtypes.safetensors"));
    expect(new Set(fx.tensors.map((t: any) => t.dtype))).toEqual(new Set(["F16", "BF16", "F64"]));
    for (const t of fx.tensors) {
      const got = tensors.get(t.name)!;
      expect(got.shape).toEqual(t.shape);
      const want = Float32Array.from(new Float32Array(new Uint32Array(t.bits).buffer));
      got.data.forEach((v, i) => {
        if (Number.isNaN(want[i])) expect(Number.isNaN(v)).toBe(true);
        else expect(bits(got.data.subarray(i, i + 1))[0]).toBe(t.bits[i]);
      });
    }
  });

  test("re-encoding the torch fixture (as F32) reproduces its bytes exactly", () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, "torch_state.safetensors")));
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(Buffer.from(encodeSafetensors(tensors, metadata)).equals(Buffer.from(bytes))).toBe(true);
  });
});
