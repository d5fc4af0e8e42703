// bun-webgpu frees a descriptor's encoded strings when a garbage collection falls between packing and the native
// call (engine/webgpu/ffi-strings.ts). scripts/repro/bun-webgpu-strings.ts forces a collection in that window
// (from a getter on the label, which is read after the WGSL is packed) for 20 shader modules.
import { expect, test } from "bun:test";
import { keepingEncodedStrings } from "../../engine/webgpu/ffi-strings.ts";
import { webGpuForFile } from "./util.ts";

const gpuFile = await webGpuForFile("bun-webgpu string lifetimes");

function repro(...flags: string[]): { exitCode: number; out: string } {
  const r = Bun.spawnSync([process.execPath, "scripts/repro/bun-webgpu-strings.ts", ...flags], { stdout: "pipe", stderr: "pipe" });
  return { exitCode: r.exitCode, out: r.stdout.toString() };
}

test.skipIf(gpuFile.skip)("inside keepingEncodedStrings, a collection between packing and the call leaves the WGSL intact", () => {
  const r = repro("--keep");
  expect(r.exitCode).toBe(0);
  expect(r.out).toContain("0 of 20 shader modules failed");
});

// Why the guard exists. If this starts failing, bun-webgpu keeps its strings alive now and ffi-strings.ts can go.
test.skipIf(gpuFile.skip)("without it, bun-webgpu 0.1.7 hands Dawn freed bytes and the modules fail to parse", () => {
  const r = repro();
  expect(r.exitCode).toBe(0);
  expect(r.out).toContain("first failure: Error while parsing WGSL");
  expect(r.out).not.toContain(" 0 of 20");
});

test("keepingEncodedStrings returns the call's value and restores TextEncoder, also when the call throws", () => {
  const encode = TextEncoder.prototype.encode;
  expect(keepingEncodedStrings(() => new TextEncoder().encode("abc").length)).toBe(3);
  expect(TextEncoder.prototype.encode).toBe(encode);
  expect(() =>
    keepingEncodedStrings(() => {
      throw new Error("boom");
    })
  ).toThrow("boom");
  expect(TextEncoder.prototype.encode).toBe(encode);
});
