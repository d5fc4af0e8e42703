// What every CLI command shares: an error exit that names the problem, and parsing of flags and numbers.
import { parseArgs, type ParseArgsConfig } from "node:util";

export function die(msg: string): never {
  console.error(`error: ${msg}`);
  process.exit(2);
}

/**
 * `parseArgs` for scripts: an unknown flag, a missing value or a stray positional ends in `error: …`
 * with the script's usage line and exit 2, not a stack trace.
 */
export function parseFlags<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config); // strict unless the config says otherwise
  } catch (e) {
    // the runtime's message ends in advice on "--" that does not apply to these scripts: keep its first sentence
    die(`${(e as Error).message.split(". To specify")[0]}\nusage: ${usage}`);
  }
}

export function num(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) die(`--${name} expects a number, got "${v}"`);
  return n;
}

/** The optional --scale flag: 2, 3 or 4 (or absent: undefined). */
export function scaleOption(v: string | undefined): number | undefined {
  const scale = v === undefined ? undefined : num(v, "scale", 0);
  if (scale !== undefined && ![2, 3, 4].includes(scale)) die(`--scale must be 2, 3 or 4, got ${v}`);
  return scale;
}

/** A flag that must be a positive integer (or absent: undefined). */
export function positiveInt(v: string | undefined, name: string, what = ""): number | undefined {
  if (v === undefined) return undefined;
  const n = num(v, name, 0);
  if (!Number.isInteger(n) || n < 1) die(`--${name} must be a positive integer${what}, got ${v}`);
  return n;
}
