// Minimal reproduction for engine/webgpu/ffi-strings.ts: bun-webgpu 0.1.7 packs a descriptor's strings as
// ptr(encoder.encode(s)) and keeps no reference to the bytes, so a garbage collection between packing and the
// native call hands Dawn freed memory. The label's getter runs after the WGSL is packed: a collection there makes
// every module fail with "Error while parsing WGSL: :1:1 error: null character found" (or other garbage).
//
//   npx bun scripts/repro/bun-webgpu-strings.ts          # 20 modules, a collection forced in each: all fail
//   npx bun scripts/repro/bun-webgpu-strings.ts --keep   # each inside the engine's keepingEncodedStrings: none fail
//
// test/engine/ffi-strings.test.ts runs it both ways.
import { setupGlobals } from "bun-webgpu";
import { keepingEncodedStrings } from "../../engine/webgpu/ffi-strings.ts";

await setupGlobals();
const adapter = await navigator.gpu.requestAdapter();
if (!adapter) throw new Error("no WebGPU adapter");
const device = await adapter.requestDevice();
const keep = process.argv.includes("--keep");
let failed = 0;
for (let i = 0; i < 20; i++) {
  device.pushErrorScope("validation");
  // large enough that its bytes are not kept inline, and different every time
  const code = `// ${"padding ".repeat(2000)}\n@compute @workgroup_size(1) fn main() { let v = ${i}.0; }\n`;
  const create = () =>
    device.createShaderModule({
      code,
      get label() {
        Bun.gc(true);
        return `module ${i}`;
      },
    } as GPUShaderModuleDescriptor);
  if (keep) keepingEncodedStrings(create);
  else create();
  const error = await device.popErrorScope();
  if (error) {
    failed++;
    if (failed === 1) console.log(`first failure: ${error.message.split("\n")[0]}`);
  }
}
console.log(`${failed} of 20 shader modules failed${keep ? " (inside keepingEncodedStrings)" : ""}`);
process.exit(0);
