/**
 * The safetensors codec (https://huggingface.co/docs/safetensors), written by hand, on bytes only (no file system, so
 * browsers can use it; train/checkpoint.ts adds the file I/O):
 *
 *   [8 bytes]  N, little-endian u64: length of the header
 *   [N bytes]  UTF-8 JSON header:
 *                { "__metadata__": { "key": "value", ... },          (optional; values are strings)
 *                  "name": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, ... }
 *              padded with spaces so that 8 + N is a multiple of 8
 *   [rest]     tensor bytes, little-endian, row-major; offsets are relative to the start of this section;
 *              tensors lie back to back with no gaps or overlaps and together fill the section exactly.
 *
 * We write F32 only. On load we accept F32, F16, BF16 and F64 (what PyTorch users commonly save) and convert
 * to Float32Array. Tensors come back in the order their bytes are laid out in the file, which is the order
 * they were written.
 *
 * The state-dict shape matches `Module.stateDict()` / `loadStateDict()` in engine/nn.ts:
 * `Map<string, { shape: number[]; data: Float32Array }>`. Optimizer state and other arrays are stored as
 * ordinary tensors with prefixed names (e.g. "optimizer.0.m"); structured metadata (a config object) is
 * JSON-encoded into a string value.
 */

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}
export type StateDict = Map<string, NamedTensor>;
export interface Checkpoint {
  tensors: StateDict;
  metadata: Record<string, string>;
}

/** Every problem found while reading or writing a checkpoint; `source` names the file (or "<buffer>"). */
export class CheckpointError extends Error {
  constructor(
    readonly source: string,
    readonly problem: string,
  ) {
    super(`${source}: ${problem}`);
    this.name = "CheckpointError";
  }
}

/** dtypes we can load, with their element size in bytes. */
const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
/** dtypes the format defines that we refuse with a specific message (they are not "unknown"). */
const OTHER_DTYPES = new Set(["BOOL", "U8", "I8", "I16", "U16", "I32", "U32", "I64", "U64", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64"]);
const METADATA_KEY = "__metadata__";

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ───────────────────────────── encode ─────────────────────────────

/** Serializes tensors (as F32, in the map's order) and string metadata to safetensors bytes. */
export function encodeSafetensors(tensors: StateDict, metadata: Record<string, string> = {}, source = "<buffer>"): Uint8Array {
  const fail = (problem: string): never => {
    throw new CheckpointError(source, problem);
  };
  if (!(tensors instanceof Map)) fail("tensors must be a Map<string, {shape, data}>");
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) fail("metadata must be an object of strings");
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== "string") fail(`metadata "${k}" is ${describe(v)}, but safetensors metadata values must be strings (JSON-encode objects)`);
  }

  // The header is assembled by hand so the key order is exactly the write order (a JS object would move
  // integer-like names such as "0" to the front).
  const parts: string[] = [];
  if (Object.keys(metadata).length > 0) parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  let offset = 0;
  const order: Float32Array[] = [];
  for (const [name, t] of tensors) {
    if (typeof name !== "string" || name.length === 0) fail(`tensor name ${JSON.stringify(name)} is not a non-empty string`);
    if (name === METADATA_KEY) fail(`"${METADATA_KEY}" is reserved and cannot name a tensor`);
    if (!t || typeof t !== "object") fail(`tensor "${name}" is ${describe(t)}, expected {shape, data}`);
    if (!(t.data instanceof Float32Array)) fail(`tensor "${name}": data is ${describe(t.data)}, expected a Float32Array`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor "${name}": shape ${JSON.stringify(t.shape)} is not a list of non-negative integers`);
    }
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) fail(`tensor "${name}": shape [${t.shape}] holds ${count} elements but data has ${t.data.length}`);
    const end = offset + 4 * count;
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: "F32", shape: t.shape, data_offsets: [offset, end] })}`);
    order.push(t.data);
    offset = end;
  }
  const headerRaw = new TextEncoder().encode(`{${parts.join(",")}}`);
  const headerLen = Math.ceil(headerRaw.length / 8) * 8; // 8 + N stays a multiple of 8, so the data is 8-aligned
  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLen), true);
  out.set(headerRaw, 8);
  out.fill(0x20, 8 + headerRaw.length, 8 + headerLen);
  let pos = 8 + headerLen;
  for (const data of order) {
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
    } else {
      for (let i = 0; i < data.length; i++) view.setFloat32(pos + 4 * i, data[i], true);
    }
    pos += data.byteLength;
  }
  return out;
}

// ───────────────────────────── decode ─────────────────────────────

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** Parses safetensors bytes. `source` names the file in error messages. */
export function decodeSafetensors(input: Uint8Array, source = "<buffer>"): Checkpoint {
  // A Node Buffer is a Uint8Array whose slice() is a view into a shared pool: read it as a plain Uint8Array
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const fail = (problem: string): never => {
    throw new CheckpointError(source, problem);
  };
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte safetensors header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) fail(`header length ${n64} runs past the end of the file (${bytes.length} bytes, at most ${bytes.length - 8} for the header); truncated or not a safetensors file`);
  const n = Number(n64);
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    return fail("header is not valid UTF-8");
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) fail(`header JSON is ${describe(header)}, expected an object`);
  const dup = findDuplicateKey(text);
  if (dup) fail(dup.depth === 1 ? `tensor name "${dup.key}" appears more than once in the header` : `key "${dup.key}" appears more than once in a header object`);

  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (raw === null || typeof raw !== "object" || Array.isArray(raw)) fail(`"${METADATA_KEY}" is ${describe(raw)}, expected an object of strings`);
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== "string") fail(`metadata "${k}" is ${describe(v)}, but safetensors metadata values must be strings`);
        metadata[k] = v as string;
      }
      continue;
    }
    const what = `tensor "${name}"`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) fail(`${what}: header entry is ${describe(raw)}, expected {dtype, shape, data_offsets}`);
    const info = raw as Record<string, unknown>;
    const dtype = info.dtype;
    if (typeof dtype !== "string") fail(`${what}: dtype is ${describe(dtype)}, expected a string`);
    const dtypeStr = dtype as string;
    if (!(dtypeStr in DTYPE_BYTES)) {
      fail(
        OTHER_DTYPES.has(dtypeStr)
          ? `${what}: dtype ${dtypeStr} is not supported (only F32, F16, BF16, F64 can be loaded as Float32)`
          : `${what}: unknown dtype ${JSON.stringify(dtypeStr)} (supported: F32, F16, BF16, F64)`,
      );
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`${what}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    const offs = info.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`${what}: data_offsets ${JSON.stringify(offs)} is not a pair of non-negative integers`);
    }
    const [begin, end] = offs as [number, number];
    if (begin > end) fail(`${what}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataLen) fail(`${what}: data_offsets [${begin}, ${end}] run past the end of the data section (${dataLen} bytes); file truncated?`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const need = count * DTYPE_BYTES[dtypeStr];
    if (end - begin !== need) fail(`${what}: data_offsets [${begin}, ${end}] span ${end - begin} bytes, but shape [${shape}] of ${dtypeStr} needs ${need}`);
    entries.push({ name, dtype: dtypeStr, shape: [...(shape as number[])], begin, end });
  }

  // Laid out back to back from 0 to the end of the file, as the reference implementation requires.
  // (Stable sort; zero-size tensors may share an offset.)
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of entries) {
    if (e.begin < expected) fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap the previous tensor's bytes (which end at ${expected})`);
    if (e.begin > expected) fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] leave a gap after byte ${expected} of the data section`);
    expected = e.end;
  }
  if (expected !== dataLen) fail(`the data section is ${dataLen} bytes but the tensors cover ${expected}; ${dataLen - expected} trailing bytes belong to no tensor`);

  const tensors: StateDict = new Map();
  for (const e of entries) tensors.set(e.name, { shape: e.shape, data: toFloat32(bytes, dataStart + e.begin, dataStart + e.end, e.dtype) });
  return { tensors, metadata };
}

/** Converts little-endian bytes [from, to) of `dtype` to a fresh Float32Array. */
function toFloat32(bytes: Uint8Array, from: number, to: number, dtype: string): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = (to - from) / DTYPE_BYTES[dtype];
  if (dtype === "F32" && LITTLE_ENDIAN) {
    // Copy (the source may be unaligned, and the caller may keep or drop the file buffer).
    return new Float32Array(bytes.slice(from, to).buffer);
  }
  const out = new Float32Array(count);
  switch (dtype) {
    case "F32":
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(from + 4 * i, true);
      break;
    case "F64":
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(from + 8 * i, true); // rounds to nearest even
      break;
    case "BF16": {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(from + 2 * i, true) << 16;
      break;
    }
    case "F16": {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = halfToFloatBits(view.getUint16(from + 2 * i, true));
      break;
    }
  }
  return out;
}

/** IEEE binary16 bits → binary32 bits, exact (subnormals normalized, inf/NaN kept, NaN payload shifted). */
function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // subnormal: value = mant · 2^-24; normalize
  let e = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/**
 * JSON.parse keeps the last of duplicated keys silently; scan the (already valid) JSON text for a key repeated
 * within one object. Returns the first such key and the nesting depth of its object (1 = top level).
 */
function findDuplicateKey(text: string): { key: string; depth: number } | null {
  const stack: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{") stack.push(new Set());
    else if (c === "[") stack.push(null);
    else if (c === "}" || c === "]") stack.pop();
    else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top) {
        let k = j + 1;
        while (k < text.length && /\s/.test(text[k])) k++;
        if (text[k] === ":") {
          const key = JSON.parse(text.slice(i, j + 1)) as string;
          if (top.has(key)) return { key, depth: stack.length };
          top.add(key);
        }
      }
      i = j;
    }
  }
  return null;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === "object") return "an object";
  if (typeof v === "undefined") return "missing";
  return `a ${typeof v} (${JSON.stringify(v)})`;
}
