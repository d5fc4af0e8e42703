// End to end: the demo page, built by web/build.ts and served from 127.0.0.1, upscales a PNG in headless
// Chromium on WebGPU (SwiftShader on a CPU-only machine), and its bytes match the same upscale in Bun.
// Skipped only outside CI when Chromium is missing; with CI=true a missing browser is a failure.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import type { Browser } from "playwright-core";
import { createUpscaler } from "../../embed/index.ts";
import { buildWeb } from "../../web/build.ts";
import { CHROMIUM, chromiumAvailable, launchChromium, localPage } from "../../web/headless.ts";
import { serveDir } from "../../web/serve.ts";

const inCI = process.env.CI === "true";
const available = chromiumAvailable();

if (!available && inCI) {
  test("headless Chromium is installed (required in CI)", () => {
    throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium package (apt-get install -y chromium)`);
  });
}

/** A 40×28 RGB PNG with edges, gradients and texture. */
function testPng(): { png: Buffer; rgb: Uint8Array; width: number; height: number } {
  const width = 40, height = 28;
  const png = new PNG({ width, height, colorType: 2 });
  const rgb = new Uint8Array(width * height * 3);
  let s = 5;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (s * 1103515245 + 12345) >>> 0;
      const inside = (x - 14) ** 2 + (y - 12) ** 2 < 64;
      const v = [inside ? 230 : x * 6, inside ? 40 : y * 8, ((x ^ y) & 4 ? 180 : 60) + ((s >>> 24) % 16)];
      for (let c = 0; c < 3; c++) {
        rgb[(y * width + x) * 3 + c] = v[c];
        png.data[(y * width + x) * 4 + c] = v[c];
      }
      png.data[(y * width + x) * 4 + 3] = 255;
    }
  }
  return { png: PNG.sync.write(png, { colorType: 2 }), rgb, width, height };
}

describe.skipIf(!available)("demo page in headless Chromium", () => {
  let out: string;
  let server: ReturnType<typeof serveDir>;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), "pisr-web-"));
    // the untrained ×2/×3/×4 build exercises the scale picker; web-build.test.ts checks the shipped default
    await buildWeb({ out, untrained: true, log: () => {} });
    server = serveDir(out, 0);
    origin = `http://127.0.0.1:${server.port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    server?.stop(true);
    if (out) rmSync(out, { recursive: true, force: true });
  });

  test("upscales a PNG on WebGPU and matches the engine in Bun to within one level", async () => {
    const { page, blocked, errors } = await localPage(browser, origin);
    await page.goto(`${origin}/`);
    await page.waitForSelector("body[data-state=ready], body[data-state=error]", { timeout: 120_000 });
    const ready = await page.evaluate(() => ({ state: document.body.dataset.state, status: document.getElementById("status")!.textContent, demo: (window as any).pisrDemo.state }));
    expect(ready.state, `page failed to start: ${ready.status}`).toBe("ready");
    // WebGPU, not the CPU fallback
    expect(ready.demo.backend.name).toBe("webgpu");
    expect(ready.demo.backend.fallbackReason).toBeUndefined();
    expect(await page.textContent("#backend")).toContain("WebGPU");
    console.log(`page backend: ${ready.demo.backend.description}`);
    expect(ready.demo.scales).toEqual([2, 3, 4]);
    expect(ready.demo.untrained).toBe(true);
    expect(await page.isVisible("#warning")).toBe(true);
    expect(await page.textContent("#warning")).toContain("Untrained weights");

    const { png, rgb, width, height } = testPng();
    await page.setInputFiles("#file", { name: "test.png", mimeType: "image/png", buffer: png });
    await page.waitForSelector("body[data-state=done], body[data-state=error]", { timeout: 120_000 });
    const done = await page.evaluate(() => {
      const s = (window as any).pisrDemo.state;
      const r = s.result;
      return { state: document.body.dataset.state, status: document.getElementById("status")!.textContent, width: r?.width, height: r?.height, channels: r?.channels, scale: r?.scale, ms: r?.ms, data: r ? Array.from(r.data as Uint8ClampedArray) : [], source: s.source ? Array.from(s.source.data as Uint8ClampedArray) : [] };
    });
    expect(done.state, `upscale failed: ${done.status}`).toBe("done");
    // the page decoded the PNG exactly
    expect(done.source).toEqual(Array.from(rgb));
    expect([done.width, done.height, done.channels, done.scale]).toEqual([2 * width, 2 * height, 3, 2]);
    expect(await page.textContent("#timing")).toMatch(/FSRCNN-PISR \d+ ms on webgpu/);
    expect(await page.isEnabled("#download")).toBe(true);

    // the same upscale in Bun on the CPU reference backend, with the same weights file
    const sr = await createUpscaler({ weights: new Uint8Array(readFileSync(join(out, "weights-x2.safetensors"))), backend: "cpu" });
    const ref = await sr.upscale({ width, height, channels: 3, data: rgb });
    sr.dispose();
    expect(done.data.length).toBe(ref.data.length);
    let maxDiff = 0, differ = 0;
    for (let i = 0; i < ref.data.length; i++) {
      const d = Math.abs(done.data[i] - ref.data[i]);
      maxDiff = Math.max(maxDiff, d);
      if (d) differ++;
    }
    console.log(`browser vs Bun: max difference ${maxDiff} level(s), ${differ} of ${ref.data.length} samples differ; page took ${done.ms.toFixed(0)} ms`);
    expect(maxDiff).toBeLessThanOrEqual(1);
    expect(new Set(ref.data).size).toBeGreaterThan(50); // a real picture, not a flat one

    // another scale from the picker
    await page.selectOption("#scale", "3");
    await page.waitForFunction(() => document.body.dataset.state === "done" && (window as any).pisrDemo.state.result?.scale === 3, undefined, { timeout: 120_000 });
    expect(await page.evaluate(() => [(window as any).pisrDemo.state.result.width, (window as any).pisrDemo.state.result.height])).toEqual([3 * width, 3 * height]);

    // the download button hands over a PNG of the result
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    expect(download.suggestedFilename()).toBe("test-x3-pisr.png");
    const saved = PNG.sync.read(readFileSync((await download.path())!));
    expect([saved.width, saved.height]).toEqual([3 * width, 3 * height]);

    expect(blocked).toEqual([]); // nothing but the local server was asked for
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);
});
