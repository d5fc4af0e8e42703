// Ctrl-C, `kill` and a closed terminal all end a training run the same way: the step in flight finishes, a
// checkpoint is written, and the process exits with 128 + the signal's number (SIGHUP 129, SIGINT 130,
// SIGTERM 143), as a shell reports a process killed by that signal.

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
export type StopSignal = keyof typeof SIGNALS;

export class StopSignals {
  /** the first signal received, or null */
  received: StopSignal | null = null;
  private handlers = new Map<StopSignal, () => void>();

  constructor() {
    for (const sig of Object.keys(SIGNALS) as StopSignal[]) {
      const handler = () => {
        this.received ??= sig;
      };
      this.handlers.set(sig, handler);
      process.on(sig, handler);
    }
  }

  get exitCode(): number {
    return this.received ? 128 + SIGNALS[this.received] : 0;
  }

  dispose(): void {
    for (const [sig, handler] of this.handlers) process.off(sig, handler);
    this.handlers.clear();
  }
}
