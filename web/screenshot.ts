/**
 * Takes web/screenshot.png (for the README): builds the page into a temporary folder (pass --weights like
 * web/build.ts to show trained weights), serves it on 127.0.0.1, runs the built-in sample at ×2 on WebGPU in
 * headless Chromium, and saves the page.
 *
 *   bun web/screenshot.ts [--weights x2=PATH,...] [--out web/screenshot.png]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildWeb, parseWeightsFlag } from "./build.ts";
import { launchChromium, localPage } from "./headless.ts";
import { serveDir } from "./serve.ts";

const { values } = parseArgs({ args: Bun.argv.slice(2), options: { weights: { type: "string" }, out: { type: "string" } }, strict: true });
const target = values.out ?? join(import.meta.dir, "screenshot.png");
const dir = mkdtempSync(join(tmpdir(), "pisr-shot-"));
const server = (await buildWeb({ out: dir, weights: values.weights ? parseWeightsFlag(values.weights) : undefined }), serveDir(dir, 0));
const origin = `http://127.0.0.1:${server.port}`;
const browser = await launchChromium();
try {
  const { page } = await localPage(browser, origin, { width: 900, height: 760 });
  await page.goto(`${origin}/?sample`);
  await page.waitForSelector("body[data-state=done], body[data-state=error]", { timeout: 120_000 });
  if ((await page.getAttribute("body", "data-state")) !== "done") throw new Error(`page failed: ${await page.textContent("#status")}`);
  await page.fill("#slider", "45");
  await page.screenshot({ path: target, fullPage: true, type: "png" });
  console.log(`wrote ${target} (${(statSync(target).size / 1024).toFixed(0)} KB)`);
} finally {
  await browser.close();
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
}
