/**
 * Replacing a file whole. The bytes go to a temporary file beside `path` (same folder, so the rename stays
 * on one file system) and are renamed over it: a reader, or a crash mid-write, sees the old file or the new
 * one, never a part. The temporary name is unique per process and call, so two writers never share one; on
 * failure it is removed and `path` is untouched. (Checkpoints also fsync: see train/checkpoint.ts.)
 */
import { closeSync, openSync, renameSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

let tempCounter = 0;

/**
 * Writes `data` to `path` atomically; errors name `path` and what was being written (`what`). `data` may be parts,
 * written one after the other (a large file need not be copied into one buffer first).
 */
export function writeFileAtomically(path: string, data: string | Uint8Array | readonly Uint8Array[], what = "file"): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${tempCounter++}.tmp`);
  try {
    if (Array.isArray(data)) writeParts(tmp, data);
    else writeFileSync(tmp, data as string | Uint8Array);
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // the temporary file was never created
    }
    throw new Error(`${path}: cannot write ${what}: ${(err as Error).message}`, { cause: err });
  }
}

function writeParts(path: string, parts: readonly Uint8Array[]): void {
  const fd = openSync(path, "w");
  try {
    for (const part of parts) {
      // writeSync may write less than asked
      for (let done = 0; done < part.length; ) done += writeSync(fd, part, done, part.length - done);
    }
  } finally {
    closeSync(fd);
  }
}
