// One line of a run's health.jsonl, written at every checkpoint: what a soak test watches stay flat (process
// memory, the engine's live and pooled buffers, native WebGPU objects not yet released) and the work per step.

import type { Backend } from "../engine/backend.ts";

interface Counters {
  dispatches: number;
  submits: number;
  bindGroups: number;
}

const countersOf = (backend: Backend): Counters | undefined => (backend as { rt?: { counters?: Counters } }).rt?.counters;

export class HealthLog {
  private last: { step: number; counters: Counters } | null = null;

  constructor(private backend: Backend) {}

  row(step: number): Record<string, number> {
    const mem = this.backend.memory();
    const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
    const row: Record<string, number> = {
      step, rss_mb: mb(process.memoryUsage().rss), heap_mb: mb(process.memoryUsage().heapUsed),
      live_buffers: mem.live, pooled_buffers: mem.pooled, pooled_mb: mb(mem.pooledBytes),
    };
    if (mem.nativeHandles !== undefined) row.native_handles = mem.nativeHandles;
    const c = countersOf(this.backend);
    if (c) {
      Object.assign(row, { dispatches: c.dispatches, submits: c.submits, bind_groups: c.bindGroups });
      if (this.last && step > this.last.step) {
        const n = step - this.last.step;
        row.dispatches_per_step = (c.dispatches - this.last.counters.dispatches) / n;
        row.submits_per_step = (c.submits - this.last.counters.submits) / n;
      }
      this.last = { step, counters: { ...c } };
    }
    return row;
  }
}
