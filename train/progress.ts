// A progress bar on a terminal (step, loss, it/s, ETA); plain periodic lines otherwise.

export class Progress {
  private t0 = performance.now();
  private first = -1;
  private lastPrint = 0;
  private readonly tty = Boolean(process.stdout.isTTY);

  constructor(private total: number, private log: (line: string) => void) {}

  /** Records a finished step; returns the rate in steps per second. */
  tick(step: number, loss: number): number {
    // the clock starts after the first step, which also compiles pipelines and decodes images
    if (this.first < 0) {
      this.first = step;
      this.t0 = performance.now();
    }
    const secs = (performance.now() - this.t0) / 1000;
    const rate = step > this.first ? (step - this.first) / secs : NaN;
    const eta = (this.total - step) / rate;
    const text = `step ${step}/${this.total}  loss ${loss.toFixed(5)}  ${Number.isNaN(rate) ? "–" : rate.toFixed(2)} it/s  ETA ${formatTime(eta)}`;
    if (this.tty) {
      const width = 24, filled = Math.round((width * step) / this.total);
      process.stdout.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${text}\x1b[K`);
    } else if (performance.now() - this.lastPrint > 10_000 || step === this.total || step === this.first) {
      this.lastPrint = performance.now();
      this.log(text);
    }
    return rate;
  }

  done(): void {
    if (this.tty) process.stdout.write("\n");
  }
}

function formatTime(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return h ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(sec).padStart(2, "0")}s`;
}
