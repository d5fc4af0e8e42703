// A process must survive any number of dispatches. bun-webgpu never frees native objects on its own, and on
// lavapipe the 65,537th live bind group segfaulted Bun (training died at step 745, the teacher at 476; see
// docs/bun-webgpu-leak.md). Here 100,000 dispatches run in one process, well past that limit, and every bind
// group and compute pass is released once its work is submitted.

import { expect, setDefaultTimeout, test } from "bun:test";
import { add, tensor, tidy } from "../../engine/index.ts";
import { WebGpuBackend } from "../../engine/webgpu/backend.ts";
import { haveWebGpu } from "../webgpu.ts";

setDefaultTimeout(600_000);
const WEBGPU = await haveWebGpu("the long-run dispatch test");

(WEBGPU ? test : test.skip)("100,000 dispatches in one process: correct sums, no native object or buffer left behind", async () => {
  const be = await WebGpuBackend.create();
  try {
    const one = tensor([1, 2, 3, 4], [1, 1, 2, 2], { backend: be }).keep();
    const c = be.rt.counters;
    const chains = 100, perChain = 1000;
    const start = { bindGroups: c.bindGroups, dispatches: c.dispatches };
    let liveAfterFirst = -1;
    for (let k = 0; k < chains; k++) {
      // a chain of 1000 dependent adds, recorded into one submit, then read back
      const out = tidy(() => {
        let x = one;
        for (let i = 0; i < perChain; i++) x = add(x, one);
        return x;
      });
      const values = await out.toArray();
      out.dispose();
      if (values.join() !== [1001, 2002, 3003, 4004].join()) throw new Error(`chain ${k}: ${values.join()}`);
      const mem = be.memory();
      // everything recorded was submitted by the read, so nothing native is still held
      if (mem.nativeHandles !== 0) throw new Error(`chain ${k}: ${mem.nativeHandles} native handles still held`);
      if (k === 0) liveAfterFirst = mem.live;
      else if (mem.live !== liveAfterFirst) throw new Error(`chain ${k}: ${mem.live} live buffers, ${liveAfterFirst} after the first chain`);
    }
    expect(c.dispatches - start.dispatches).toBe(chains * perChain);
    expect(c.bindGroups - start.bindGroups).toBe(chains * perChain);
    expect(c.bindGroupsReleased).toBe(c.bindGroups);
    expect(c.passesReleased).toBe(c.passes);
    one.dispose();
  } finally {
    be.destroy();
  }
});

(WEBGPU ? test : test.skip)("70,000 dispatches with no readback in between are submitted in pieces and stay correct", async () => {
  const be = await WebGpuBackend.create();
  try {
    const one = tensor([1, 2, 3, 4], [1, 1, 2, 2], { backend: be }).keep();
    const submits = be.rt.counters.submits;
    // each intermediate goes back to the pool at once, so three buffers serve the whole chain
    let x = add(one, one);
    for (let i = 1; i < 70_000; i++) {
      const y = add(x, one);
      x.dispose();
      x = y;
    }
    expect(be.memory().nativeHandles).toBeLessThanOrEqual(2048 + 1);
    expect(Array.from(await x.toArray())).toEqual([70_001, 140_002, 210_003, 280_004]);
    expect(be.rt.counters.submits - submits).toBeGreaterThanOrEqual(70_000 / 2048);
    expect(be.memory().nativeHandles).toBe(0);
    x.dispose();
    one.dispose();
  } finally {
    be.destroy();
  }
});
