/**
 * Checkpoint files in the safetensors format. The byte-level codec (format description, encode/decode,
 * errors) lives in ../checkpoint/safetensors.ts, which has no Node imports so browser code can use it; it is re-exported
 * here so this module keeps its API.
 */
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { type Checkpoint, CheckpointError, decodeSafetensors, encodeSafetensors, type StateDict } from "../checkpoint/safetensors.ts";

export { type Checkpoint, CheckpointError, decodeSafetensors, encodeSafetensors, type NamedTensor, type StateDict } from "../checkpoint/safetensors.ts";

// ───────────────────────────── files ─────────────────────────────

/**
 * Writes a checkpoint atomically: the bytes go to `${path}.tmp-<pid>-<random>` in the same directory, are
 * fsynced, and the temp file is renamed over `path`. A reader sees the old file or the new one, never a part;
 * on any failure the temp file is removed and `path` is untouched. Parent directories are created.
 */
export async function saveCheckpoint(path: string, tensors: StateDict, metadata: Record<string, string> = {}): Promise<void> {
  const bytes = encodeSafetensors(tensors, metadata, path); // validate before touching the disk
  const dir = dirname(resolve(path));
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  let created = false;
  try {
    await mkdir(dir, { recursive: true });
    const fh = await open(tmp, "wx");
    created = true;
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    created = false;
  } catch (e) {
    if (created) await unlink(tmp).catch(() => {});
    throw new CheckpointError(path, `could not save checkpoint: ${(e as Error).message}`);
  }
  // Make the rename itself durable (best effort: not every platform can fsync a directory).
  try {
    const dh = await open(dir, "r");
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    /* ignore */
  }
}

/** Reads a safetensors checkpoint; F16/BF16/F64 tensors are converted to Float32. */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new CheckpointError(path, `could not read checkpoint: ${(e as Error).message}`);
  }
  return decodeSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}

