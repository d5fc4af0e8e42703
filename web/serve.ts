/**
 * Serves a built page (web/dist/ by default) on 127.0.0.1. Static files only; anything missing is a 404, which
 * is how the page learns which weights-x{s}.safetensors exist.
 *
 *   bun web/serve.ts [--dir DIR] [--port N]      (port 0 = any free port)
 */
import { existsSync, statSync } from "node:fs";
import { extname, join, normalize, resolve, sep } from "node:path";
import { parseArgs } from "node:util";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".json": "application/json",
  ".safetensors": "application/octet-stream",
};

export function serveDir(dir: string, port = 0) {
  const root = resolve(dir);
  return Bun.serve({
    hostname: "127.0.0.1",
    port,
    fetch(req) {
      const url = new URL(req.url);
      const rel = decodeURIComponent(url.pathname === "/" ? "/index.html" : url.pathname);
      const path = normalize(join(root, rel));
      if (!path.startsWith(root + sep) || !existsSync(path) || !statSync(path).isFile()) return new Response("not found", { status: 404 });
      return new Response(Bun.file(path), { headers: { "content-type": TYPES[extname(path)] ?? "application/octet-stream", "cache-control": "no-store" } });
    },
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Bun.argv.slice(2), options: { dir: { type: "string" }, port: { type: "string" } }, strict: true });
  const dir = values.dir ?? join(import.meta.dir, "dist");
  if (!existsSync(join(dir, "index.html"))) {
    console.error(`${dir} has no index.html: build it first (bun web/build.ts)`);
    process.exit(1);
  }
  const server = serveDir(dir, Number(values.port ?? process.env.PORT ?? 8080));
  console.log(`serving ${dir} at http://127.0.0.1:${server.port}/  (Ctrl-C to stop)`);
}
