/** Listing image files in folders. */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** File name extensions treated as images when listing a folder (the decoder still goes by content). */
export const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg"];

/**
 * Image files directly inside `folder` (not recursive; hidden files skipped), sorted by name.
 * Errors name the folder when it is missing, not a folder, or holds no PNG/JPEG files.
 */
export function listImages(folder: string): string[] {
  let st;
  try {
    st = statSync(folder);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    throw new Error(`${folder}: image folder ${code === "ENOENT" ? "not found" : `cannot be read (${(err as Error).message})`}`, { cause: err });
  }
  if (!st.isDirectory()) throw new Error(`${folder}: not a folder`);
  const files = readdirSync(folder)
    .filter((f) => !f.startsWith(".") && IMAGE_EXTENSIONS.some((e) => f.toLowerCase().endsWith(e)))
    .sort()
    .map((f) => join(folder, f))
    .filter((p) => statSync(p).isFile());
  if (files.length === 0) throw new Error(`${folder}: no images (${IMAGE_EXTENSIONS.join(", ")}) in folder`);
  return files;
}
