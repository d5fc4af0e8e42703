// While the engine waits for a CPU adapter's work, the JS thread sleeps: bun-webgpu's own wait polls in a loop that
// keeps a core busy, one of the cores the adapter computes on (engine/webgpu/calm-polling.ts).
import { expect, test } from "bun:test";
import { mainThreadCpuSeconds } from "../../scripts/repro/main-thread-cpu.ts";
import { webGpuForFile } from "./util.ts";

const gpuFile = await webGpuForFile("calm polling");
const linux = process.platform === "linux";

test.skipIf(gpuFile.skip || !linux)("on a CPU adapter, the main thread idles while it waits for the device's work", async () => {
  const be = gpuFile.gpu();
  // CI's adapter is lavapipe; elsewhere the waits are bun-webgpu's own, and nothing here applies
  if (!be.software) return expect(be.software).toBe(false);
  const shape = [1, 56, 135, 240] as const, wShape = [56, 56, 3, 3] as const;
  const x = be.upload(Float32Array.from({ length: 56 * 135 * 240 }, (_, i) => Math.sin(i)));
  const w = be.upload(Float32Array.from({ length: 56 * 56 * 9 }, (_, i) => Math.cos(i) / 24));
  const g = { stride: [1, 1] as const, padding: [1, 1] as const };
  // enough convolutions that the wait lasts ≥ 300 ms on this machine
  let wait = 0, cpu = 0, convs = 4;
  while (wait < 0.3) {
    let y = x;
    for (let i = 0; i < convs; i++) {
      const next = be.conv2d(y, [...shape], w, [...wShape], null, g);
      if (y !== x) be.release(y);
      y = next;
    }
    const [t0, c0] = [performance.now(), mainThreadCpuSeconds()];
    const out = await be.read(y);
    [wait, cpu] = [(performance.now() - t0) / 1000, mainThreadCpuSeconds() - c0];
    expect(out.every(Number.isFinite)).toBe(true);
    be.release(y);
    convs *= 2;
  }
  for (const s of [x, w]) be.release(s);
  // polling every millisecond costs the thread a small fraction of the wait; bun-webgpu's loop costs all of it
  expect(cpu).toBeLessThan(0.3 * wait);
});

test.skipIf(gpuFile.skip || !linux)("the reproduction: bun-webgpu's own wait keeps the thread busy, the timer leaves it idle", async () => {
  if (!gpuFile.gpu().software) return expect(gpuFile.gpu().software).toBe(false);
  const run = async (flags: string[]) => {
    const p = Bun.spawn([process.execPath, "scripts/repro/bun-webgpu-busy-wait.ts", ...flags], { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    if (code !== 0) throw new Error(`repro exited ${code}: ${err}`);
    return JSON.parse(out.trim().split("\n").at(-1)!) as { wait_s: number; main_thread_cpu_s: number; finite: boolean };
  };
  const spinning = await run([]);
  const calm = await run(["--calm"]);
  for (const r of [spinning, calm]) {
    expect(r.finite).toBe(true);
    expect(r.wait_s).toBeGreaterThan(0.2); // long enough for the 10 ms ticks of /proc to tell
  }
  // if bun-webgpu stops spinning, this fails: calm-polling.ts can then go
  expect(spinning.main_thread_cpu_s).toBeGreaterThan(0.4 * spinning.wait_s);
  expect(calm.main_thread_cpu_s).toBeLessThan(0.2 * calm.wait_s);
});
