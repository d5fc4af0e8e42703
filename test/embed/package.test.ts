// The npm package outside this repository, as a Node user gets it: `npm pack` (which builds dist/), install the
// tarball into a fresh Node project, import { createUpscaler } and upscale a PNG there (CPU backend: Node has
// no WebGPU of its own), run the `pisr-webgpu` command through npx, and type-check a TypeScript consumer
// against the shipped declarations (a deliberate type error must be caught).

import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CpuBackend } from "../../engine/cpu/backend.ts";
import { readImage } from "../../image/decode.ts";
import { PisrModel } from "../../models/pisr.ts";
import { saveModel } from "../../train/models-io.ts";

setDefaultTimeout(300_000);
const ROOT = resolve(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "package-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string[], cwd: string): string {
  const r = Bun.spawnSync(cmd, { cwd, env: { ...process.env, NO_COLOR: "1", npm_config_update_notifier: "false" } });
  const out = r.stdout.toString() + r.stderr.toString();
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} (in ${cwd}) exited ${r.exitCode}:\n${out.slice(-3000)}`);
  return out;
}

const CONSUMER_JS = `import { readFileSync, writeFileSync } from "node:fs";
import { PNG } from "pngjs";
import { createUpscaler } from "pisr-webgpu";
const [input, weights, output] = process.argv.slice(2);
const png = PNG.sync.read(readFileSync(input));
const sr = await createUpscaler({ weights: readFileSync(weights), backend: "auto" });
const out = await sr.upscale({ width: png.width, height: png.height, channels: 4, data: png.data });
writeFileSync(output, PNG.sync.write({ width: out.width, height: out.height, data: Buffer.from(out.data) }));
console.log(JSON.stringify({ backend: sr.backend.name, scale: sr.scale, width: out.width, height: out.height }));
sr.dispose();
`;

const CONSUMER_TS = (withError: boolean) => `import { createUpscaler, type Image8 } from "pisr-webgpu";
import { l1Loss, tensor } from "pisr-webgpu/engine";
const image: Image8 = { width: 1, height: 1, channels: 1, data: new Uint8Array(1) };
const sr = await createUpscaler({ weights: new Uint8Array(0), backend: "cpu" });
const width: number = (await sr.upscale(image)).width;
console.log(width, l1Loss(tensor([1], [1, 1, 1, 1]), tensor([2], [1, 1, 1, 1])));
${withError ? "const wrong: string = width;\n" : ""}`;

test("npm pack → npm install in a fresh Node project → import, upscale a PNG, run the command, type-check", () => {
  const packs = join(dir, "packs");
  mkdirSync(packs);
  run(["npm", "pack", "--pack-destination", packs], ROOT);
  const tarball = readdirSync(packs).find((f) => f.endsWith(".tgz"));
  expect(tarball).toBeDefined();

  const app = join(dir, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", type: "module", private: true }));
  run(["npm", "install", join(packs, tarball!), "--prefer-offline", "--no-audit", "--no-fund"], app);

  // the library under Node, with a checkpoint the user has on disk
  const weights = join(app, "student-x2.safetensors");
  const backend = new CpuBackend("float32");
  const model = new PisrModel("student", { scale: 2 }, { seed: 2, backend });
  return saveModel(weights, model).then(() => {
    model.dispose();
    writeFileSync(join(app, "upscale.mjs"), CONSUMER_JS);
    const input = join(ROOT, "test/fixtures/image/files");
    const png = readdirSync(input).find((f) => f.endsWith(".png"))!;
    const src = readImage(join(input, png));
    const result = JSON.parse(run(["node", "upscale.mjs", join(input, png), weights, join(app, "out.png")], app).trim().split("\n").at(-1)!);
    expect(result).toEqual({ backend: "cpu", scale: 2, width: 2 * src.width, height: 2 * src.height });
    expect([readImage(join(app, "out.png")).width, readImage(join(app, "out.png")).height]).toEqual([2 * src.width, 2 * src.height]);

    // the command, through npx and Node
    const cliOut = run(["npx", "--no-install", "pisr-webgpu", "upscale", "--model", "bicubic", "--scale", "3", "--input", join(input, png), "--output", join(app, "b.jpg")], app);
    expect(cliOut).toContain("×3 with bicubic");
    expect(readImage(join(app, "b.jpg")).width).toBe(3 * src.width);
    // the shipped ×4 weights travel with the package: the command and the library use them by default
    const shippedOut = run(["npx", "--no-install", "pisr-webgpu", "upscale", "--input", join(input, png), "--output", join(app, "d.png")], app);
    expect(shippedOut).toMatch(/×4 with the shipped fsrcnn-x4-(student|baseline)\.safetensors/);
    expect(readImage(join(app, "d.png")).width).toBe(4 * src.width);
    const byDefault = run(["node", "-e", 'import("pisr-webgpu").then(async (m) => { const sr = await m.createUpscaler(); console.log(JSON.stringify([sr.scale, sr.architecture])); })'], app);
    expect(JSON.parse(byDefault.trim().split("\n").at(-1)!)[0]).toBe(4);

    // TypeScript consumers get the declarations: a correct program passes, a type error is caught
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, noEmit: true, skipLibCheck: true, lib: ["es2022", "dom"] }, files: ["consumer.ts"] }));
    const tsc = join(ROOT, "node_modules/.bin/tsc");
    writeFileSync(join(app, "consumer.ts"), CONSUMER_TS(false));
    run([tsc, "-p", "."], app);
    writeFileSync(join(app, "consumer.ts"), CONSUMER_TS(true));
    expect(() => run([tsc, "-p", "."], app)).toThrow("Type 'number' is not assignable to type 'string'");
  });
});
