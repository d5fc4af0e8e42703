// bun-webgpu 0.1.7 learns that a buffer map, a queue's work or an error scope has completed by polling Dawn from a
// setImmediate loop that runs for as long as anything waits: the JS thread stays busy the whole time the device
// works. On a CPU adapter (lavapipe) that is one of the two cores the adapter's own threads compute on, so a
// training step that waits for its loss ran on about one core: an FSRCNN step at HR 96 took the same 73–85 ms
// with lavapipe on one thread as on two, and 42–61 ms once the wait polled from a timer (bench/NOTES.md, entry 50).
// `pollCalmly` swaps the loop for a timer on the device's instance ticker; it touches nothing where the bindings
// are not bun-webgpu's (browsers, Deno, the `webgpu` package), whose ticker it cannot find. The whole story:
// docs/bun-webgpu-busy-wait.md; the reproduction: scripts/repro/bun-webgpu-busy-wait.ts.

/** How often a wait asks Dawn whether its work is done: a read returns at most this much later. */
export const POLL_MS = 1;

/** The parts of bun-webgpu's InstanceTicker (index.js) that a wait goes through. */
interface InstanceTicker {
  _ticking: boolean;
  hasWaiting(): boolean;
  processEvents(): void;
  scheduleTick(): void;
}

function tickerOf(device: GPUDevice): InstanceTicker | null {
  const t = (device as unknown as { instanceTicker?: Partial<InstanceTicker> }).instanceTicker;
  const ok = t && typeof t._ticking === "boolean" && typeof t.hasWaiting === "function" && typeof t.processEvents === "function" &&
    typeof t.scheduleTick === "function";
  return ok ? (t as InstanceTicker) : null;
}

/**
 * Makes the device's waits poll every POLL_MS from a timer, leaving the thread idle in between. Returns whether
 * it found bun-webgpu's ticker (and so changed anything).
 */
export function pollCalmly(device: GPUDevice): boolean {
  const ticker = tickerOf(device);
  if (!ticker) return false;
  ticker.scheduleTick = function (this: InstanceTicker) {
    if (this._ticking) return;
    this._ticking = true;
    setTimeout(() => {
      this.processEvents();
      this._ticking = false;
      if (this.hasWaiting()) this.scheduleTick();
    }, POLL_MS);
  };
  return true;
}
