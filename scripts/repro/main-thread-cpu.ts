// CPU seconds this process's main thread has used, Linux only: utime + stime of /proc/self/task/<pid>/stat, at
// 100 ticks a second. For bun-webgpu-busy-wait.ts and test/engine/calm-polling.test.ts, which ask how busy the
// thread was while it waited for the device.
import { readFileSync } from "node:fs";

export function mainThreadCpuSeconds(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // from field 3 (state) on: utime is 14, stime 15
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
