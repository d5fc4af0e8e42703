// web/build.ts: the bundle guard, the --weights flag, and what lands in the output folder.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCheckpoint } from "../../embed/index.ts";
import { randomWeights } from "../../embed/weights.ts";
import { defaultWeights } from "../../train/shipped.ts";
import { buildWeb, parseWeightsFlag } from "../../web/build.ts";
import { serveDir } from "../../web/serve.ts";

const dir = mkdtempSync(join(tmpdir(), "pisr-webbuild-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = { log: () => {} };

test("without --weights: the shipped ×4 weights, and the page does not call them untrained", async () => {
  const out = join(dir, "shipped");
  const r = await buildWeb({ out, ...quiet });
  expect(r).toMatchObject({ scales: [4], untrained: false });
  const { path } = defaultWeights(4);
  expect(Buffer.compare(readFileSync(join(out, "weights-x4.safetensors")), readFileSync(path))).toBe(0);
  expect(existsSync(join(out, "weights-x2.safetensors"))).toBe(false);
  expect(readCheckpoint(new Uint8Array(readFileSync(join(out, "weights-x4.safetensors")))).metadata.untrained).toBeUndefined();
});

test("--untrained: page, bundle and seeded untrained students for ×2, ×3, ×4", async () => {
  const out = join(dir, "default");
  const r = await buildWeb({ out, untrained: true, ...quiet });
  expect(r).toMatchObject({ scales: [2, 3, 4], untrained: true });
  for (const f of ["index.html", "main.js", "weights-x2.safetensors", "weights-x3.safetensors", "weights-x4.safetensors"]) expect(existsSync(join(out, f))).toBe(true);
  const ck = readCheckpoint(new Uint8Array(readFileSync(join(out, "weights-x3.safetensors"))));
  expect([ck.architecture, ck.config.scale, ck.metadata.untrained]).toEqual(["student", 3, "true"]);
  // seeded: a rebuild writes the same bytes
  const again = join(dir, "again");
  await buildWeb({ out: again, untrained: true, ...quiet });
  expect(Buffer.compare(readFileSync(join(out, "weights-x2.safetensors")), readFileSync(join(again, "weights-x2.safetensors")))).toBe(0);
  const js = readFileSync(join(out, "main.js"), "utf8");
  expect(js).not.toContain("node:");
  expect(js).not.toContain("bun-webgpu");
});

test("--weights copies the checkpoints it is given and checks them", async () => {
  expect(parseWeightsFlag("x2=a.safetensors, x4=/b/c.safetensors")).toEqual({ 2: "a.safetensors", 4: "/b/c.safetensors" });
  expect(() => parseWeightsFlag("x5=a")).toThrow('--weights: "x5=a" is not x2=PATH, x3=PATH or x4=PATH');
  const student = join(dir, "s2.safetensors");
  writeFileSync(student, await randomWeights(2, { seed: 42 }));
  const r = await buildWeb({ out: join(dir, "given"), weights: { 2: student }, ...quiet });
  expect(r).toMatchObject({ scales: [2], untrained: false });
  expect(existsSync(join(dir, "given", "weights-x3.safetensors"))).toBe(false);
  await expect(buildWeb({ out: join(dir, "bad"), weights: { 4: student }, ...quiet })).rejects.toThrow(`--weights x4=${student}: that student checkpoint is for ×2`);
  const teacher = join(dir, "t2.safetensors");
  writeFileSync(teacher, await randomWeights(2, { architecture: "teacher" }));
  await expect(buildWeb({ out: join(dir, "bad"), weights: { 2: teacher }, ...quiet })).rejects.toThrow("weights are a teacher checkpoint");
});

test("the build fails when a Node/Bun-only import reaches the bundle", async () => {
  const entry = join(dir, "leaky.ts");
  writeFileSync(entry, 'export const name = "bun-webgpu";\nconsole.log(name);\n');
  await expect(buildWeb({ out: join(dir, "leaky"), entry, ...quiet })).rejects.toThrow('the browser bundle mentions "bun-webgpu"');
  const entry2 = join(dir, "leaky2.ts");
  writeFileSync(entry2, 'import { readFileSync } from "node:fs";\nconsole.log(readFileSync);\n');
  await expect(buildWeb({ out: join(dir, "leaky2"), entry: entry2, ...quiet })).rejects.toThrow(/^bundling failed: .*node:fs|the browser bundle mentions "node:"/);
});

test("serve: files from the folder, 404 for anything else (including paths outside it)", async () => {
  const out = join(dir, "default");
  const server = serveDir(out, 0);
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toContain("text/html");
    expect((await fetch(`${base}/main.js`)).headers.get("content-type")).toContain("javascript");
    expect((await fetch(`${base}/weights-x2.safetensors`)).status).toBe(200);
    expect((await fetch(`${base}/weights-x5.safetensors`)).status).toBe(404);
    expect((await fetch(`${base}/..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
  } finally {
    server.stop(true);
  }
});
