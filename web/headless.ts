/**
 * Headless Chromium for the page's end-to-end test and screenshot, driven by playwright-core with the system
 * browser (Debian's `chromium` package; override with CHROMIUM=/path).
 *
 * Flags: `--no-sandbox` (containers, root) and `--enable-unsafe-webgpu` (WebGPU on Linux is behind it) are all
 * it takes: on a machine without a GPU, Chromium 156 then offers WebGPU through SwiftShader (adapter vendor
 * "google", architecture "swiftshader"). `--use-webgpu-adapter=swiftshader` pins that adapter so results do not
 * depend on the machine's GPU. WebGPU needs a secure context, so the page must come from http://127.0.0.1
 * (page.setContent / about:blank have no navigator.gpu). All requests to anything but the local server are
 * aborted, so the test never touches the network.
 */
import { existsSync } from "node:fs";
import type { Browser, Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_FLAGS = ["--no-sandbox", "--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader"];

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

/** A page that may only talk to `origin` (e.g. http://127.0.0.1:PORT); console errors are collected. */
export async function localPage(browser: Browser, origin: string, viewport = { width: 1000, height: 800 }): Promise<{ page: Page; blocked: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const blocked: string[] = [];
  const errors: string[] = [];
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`) || url.startsWith("blob:") || url.startsWith("data:")) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  return { page, blocked, errors };
}
