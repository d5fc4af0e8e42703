// Two benchmark workers taking turns step by step (bench/run.ts's --interleave steps). Each worker serves one
// workload over stdin/stdout (the --serve protocol, bench/workloads.ts: parseWorkerArgs): it warms up and
// prints {"ready": …}; each "step" line runs one timed step and gets {"step_ms": t} back; "end" gets the usual
// result line. Alternating single steps puts a slow minute of a shared machine on both sides of a ratio alike,
// where whole runs one after the other can each land in a different minute.

import { median } from "./util.ts";

/** A worker: the command that starts it (with --serve and the extra flags appended), and where. */
export interface Worker {
  label: string;
  command: (extra: string[]) => string[];
  cwd?: string;
}

/** What a worker writes on stderr that is not its own (Mesa's and Dawn's warnings). */
const STDERR_NOISE = /artificially reduced|XDG_RUNTIME_DIR/;

/** A failed worker's last words: its last three stderr lines that are not noise, on one line. */
export function lastWords(stderr: string): string {
  const said = stderr.split("\n").filter((l) => l.trim() && !STDERR_NOISE.test(l));
  return said.slice(-3).join(" | ").slice(0, 300) || "(no stderr)";
}

/** Lines of a stream, one at a time; null at its end. */
export class LineReader {
  private buffered = "";
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();

  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }

  async next(): Promise<string | null> {
    for (;;) {
      const end = this.buffered.indexOf("\n");
      if (end >= 0) {
        const line = this.buffered.slice(0, end);
        this.buffered = this.buffered.slice(end + 1);
        return line;
      }
      const { value, done } = await this.reader.read();
      if (done) {
        const rest = this.buffered;
        this.buffered = "";
        return rest || null;
      }
      this.buffered += this.decoder.decode(value, { stream: true });
    }
  }
}

/** One worker serving one workload step by step: spawned and warmed up by `start`, then driven line by line. */
export class StepServer {
  /** every JSON line the worker printed (meta, ready, steps, result) */
  readonly lines: Record<string, unknown>[] = [];
  private readonly out: LineReader;
  private readonly stderr: Promise<string>;

  private constructor(readonly worker: Worker, private readonly proc: Bun.Subprocess<"pipe", "pipe", "pipe">) {
    this.out = new LineReader(proc.stdout);
    this.stderr = new Response(proc.stderr).text();
  }

  static async start(worker: Worker, extra: string[]): Promise<StepServer> {
    const proc = Bun.spawn(worker.command(["--serve", ...extra]), { cwd: worker.cwd, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    const server = new StepServer(worker, proc);
    await server.until("ready");
    return server;
  }

  /** Runs one step; resolves with its time as the worker measured it. */
  async step(): Promise<number> {
    this.send("step");
    const t = (await this.until("step_ms")).step_ms;
    if (typeof t !== "number") throw new Error(`${this.worker.label}: step_ms is ${JSON.stringify(t)}, not a number`);
    return t;
  }

  /** Ends the alternation; resolves with the worker's result line (median, min, max over the served steps). */
  async end(): Promise<Record<string, unknown>> {
    this.send("end");
    const result = await this.until("median_ms");
    await this.proc.exited;
    return result;
  }

  kill(): void {
    this.proc.kill();
  }

  private send(command: string): void {
    this.proc.stdin.write(`${command}\n`);
    this.proc.stdin.flush();
  }

  /** The next JSON line holding `key`; an error with the worker's last words on stderr if it exits first. */
  private async until(key: string): Promise<Record<string, unknown>> {
    for (;;) {
      const line = await this.out.next();
      if (line === null) {
        const code = await this.proc.exited;
        throw new Error(`${this.worker.label} exited (${code}) while waiting for "${key}": ${lastWords(await this.stderr)}`);
      }
      if (!line.startsWith("{")) continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line);
      } catch {
        continue; // not one of the protocol's lines
      }
      this.lines.push(msg);
      if (key in msg) return msg;
    }
  }
}

export interface PairedRun {
  /** each worker's JSON lines (meta and result), as far as it got */
  lines: Map<Worker, Record<string, unknown>[]>;
  /** median over the pairs of A's step time ÷ B's; NaN when the run failed */
  ratio: number;
  /** the workers in the order they stepped, one entry per step */
  order: string[];
  error: string | null;
}

/**
 * Two workers on one workload, `pairs` steps each, alternating: pair i steps A then B when i is even, B then A
 * when odd, `gapMs` apart. They warm up one after the other, so neither warm-up competes with the other's.
 */
export async function runPaired(a: Worker, b: Worker, opts: { pairs: number; extra: string[]; gapMs: number }): Promise<PairedRun> {
  const servers: StepServer[] = [];
  const lines = new Map<Worker, Record<string, unknown>[]>();
  const order: string[] = [];
  try {
    for (const w of [a, b]) servers.push(await StepServer.start(w, opts.extra));
    const [sa, sb] = servers;
    const ratios: number[] = [];
    for (let i = 0; i < opts.pairs; i++) {
      const turn = i % 2 === 0 ? [sa, sb] : [sb, sa];
      const t = new Map<StepServer, number>();
      for (const s of turn) {
        t.set(s, await s.step());
        order.push(s.worker.label);
        await Bun.sleep(opts.gapMs);
      }
      ratios.push(t.get(sa)! / t.get(sb)!);
    }
    for (const s of servers) {
      await s.end();
      lines.set(s.worker, s.lines);
    }
    return { lines, ratio: median(ratios), order, error: null };
  } catch (e) {
    for (const s of servers) s.kill();
    for (const s of servers) lines.set(s.worker, s.lines.filter((l) => l.meta));
    return { lines, ratio: Number.NaN, order, error: e instanceof Error ? e.message : String(e) };
  }
}
