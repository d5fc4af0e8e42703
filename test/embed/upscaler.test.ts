// The embedding API (embed/index.ts): inputs, outputs, alpha, errors, tiling, backend choice, browser safety.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { CpuBackend } from "../../engine/cpu/backend.ts";
import { mergeChannels, rgbToYcbcr, splitChannels, ycbcrToRgb } from "../../image/color.ts";
import { imresize } from "../../image/resize.ts";
import { makeImage, type Plane } from "../../image/types.ts";
import { PisrModel } from "../../models/pisr.ts";
import { upscalePlane } from "../../infer/upscale.ts";
import { encodeSafetensors } from "../../checkpoint/safetensors.ts";
import { bicubicUpscale, createUpscaler, type Image8, type Upscaler } from "../../embed/index.ts";
import { randomWeights } from "../../embed/weights.ts";
import { noServerOnlyImports } from "../../web/build.ts";

const root = resolve(import.meta.dir, "../..");

/** A deterministic test picture with edges and texture. */
function picture(width: number, height: number, channels: 1 | 3 | 4, seed = 1): Image8 {
  const data = new Uint8Array(width * height * channels);
  let s = seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        s = (s * 1103515245 + 12345) >>> 0;
        const base = ((x * 7 + y * 3 + c * 50) % 97) * 2 + ((x > width / 2) !== (y > height / 3) ? 40 : 0);
        data[(y * width + x) * channels + c] = c === 3 ? 255 - ((x * 9) % 200) : Math.min(255, base + ((s >>> 24) % 24));
      }
    }
  }
  return { width, height, channels, data };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

let weights2: Uint8Array;
let weights3: Uint8Array;
let sr: Upscaler;
beforeAll(async () => {
  weights2 = await randomWeights(2, { seed: 7 });
  weights3 = await randomWeights(3, { seed: 8 });
  sr = await createUpscaler({ weights: weights2, backend: "cpu" });
});
afterAll(() => sr.dispose());

describe("createUpscaler", () => {
  test("reads scale, architecture and metadata from the checkpoint; reports the CPU backend", () => {
    expect(sr.scale).toBe(2);
    expect(sr.architecture).toBe("student");
    expect(sr.metadata.untrained).toBe("true");
    expect(sr.backend.name).toBe("cpu");
    expect(sr.backend.description).toMatch(/CPU/i);
    expect(sr.backend.fallbackReason).toBeUndefined();
  });

  test("accepts an ArrayBuffer, a baseline, and the matching scale", async () => {
    const base = await randomWeights(3, { architecture: "baseline" });
    const ab = base.buffer.slice(base.byteOffset, base.byteOffset + base.byteLength) as ArrayBuffer;
    const up = await createUpscaler({ weights: ab, scale: 3, backend: "cpu" });
    expect(up.architecture).toBe("baseline");
    expect(up.scale).toBe(3);
    up.dispose();
  });

  test("any architecture of the registry: an IDN (Y channel) and a CARN-M (RGB) upscale RGBA images", async () => {
    const image = { width: 7, height: 5, channels: 4 as const, data: new Uint8Array(140).map((_, i) => (i * 37) % 256) };
    for (const arch of ["idn", "carn-m"] as const) {
      const up = await createUpscaler({ weights: await randomWeights(2, { arch, seed: 3 }), backend: "cpu" });
      try {
        expect(up.arch).toBe(arch);
        const out = await up.upscale(image);
        expect([out.width, out.height, out.channels, out.data.length]).toEqual([14, 10, 4, 560]);
        // alpha is upscaled on its own, the colour went through the network: not every pixel is grey
        expect(out.data.some((v, i) => i % 4 === 0 && v !== out.data[i + 1])).toBe(true);
      } finally {
        up.dispose();
      }
    }
    expect(sr.arch).toBe("fsrcnn");
  });

  test('"auto" takes WebGPU when it works, else the CPU with the reason', async () => {
    const up = await createUpscaler({ weights: weights2 });
    try {
      if (up.backend.name === "cpu") expect(up.backend.fallbackReason).toMatch(/\S/);
      else {
        expect(up.backend.name).toBe("webgpu");
        expect(up.backend.fallbackReason).toBeUndefined();
        // the GPU result agrees with the CPU reference to within one 8-bit level
        const img = picture(23, 17, 3);
        expect(maxDiff((await up.upscale(img)).data, (await sr.upscale(img)).data)).toBeLessThanOrEqual(1);
      }
      console.log(`auto backend: ${up.backend.name} (${up.backend.description})${up.backend.fallbackReason ? ` — ${up.backend.fallbackReason}` : ""}`);
    } finally {
      up.dispose();
    }
  });

  test("a backend passed in is used and left alive by dispose", async () => {
    const backend = new CpuBackend("float32");
    const up = await createUpscaler({ weights: weights2, backend });
    expect(up.backend.name).toBe("cpu");
    up.dispose();
    const again = await createUpscaler({ weights: weights2, backend }); // still usable
    expect((await again.upscale(picture(5, 4, 1))).width).toBe(10);
    again.dispose();
    backend.destroy();
  });
});

describe("upscale", () => {
  test("RGB: Y through the network, CbCr bicubic, exactly as train/cli.ts upscale does", async () => {
    const img = picture(19, 13, 3);
    const out = await sr.upscale(img);
    expect(out).toMatchObject({ width: 38, height: 26, channels: 3 });
    expect(out.data).toBeInstanceOf(Uint8ClampedArray);
    expect(out.data.length).toBe(38 * 26 * 3);

    // reference: the CLI pipeline on float, then 8-bit
    const backend = new CpuBackend("float32");
    const model = new PisrModel("student", { scale: 2 }, { backend });
    const { decodeSafetensors } = await import("../../checkpoint/safetensors.ts");
    await model.loadStateDict(decodeSafetensors(weights2).tensors);
    const f = makeImage(19, 13, 3, Float32Array.from(img.data, (v) => v / 255));
    const [y, cb, cr] = splitChannels(rgbToYcbcr(f));
    const big = await upscalePlane(model, backend, y as Plane);
    const ref = ycbcrToRgb(mergeChannels([big, imresize(cb, 2), imresize(cr, 2)]));
    const refBytes = Uint8ClampedArray.from(ref.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
    expect(maxDiff(out.data, refBytes)).toBe(0);
    model.dispose();
    backend.destroy();
    // not a degenerate output
    expect(new Set(out.data).size).toBeGreaterThan(50);
  });

  test("grey: the plane through the network", async () => {
    const out = await sr.upscale(picture(11, 9, 1));
    expect(out).toMatchObject({ width: 22, height: 18, channels: 1 });
    expect(out.data.length).toBe(22 * 18);
  });

  test("×3 output size", async () => {
    const up = await createUpscaler({ weights: weights3, backend: "cpu" });
    const out = await up.upscale(picture(7, 5, 4));
    expect(out).toMatchObject({ width: 21, height: 15, channels: 4 });
    expect(out.data.length).toBe(21 * 15 * 4);
    up.dispose();
  });

  test("RGBA: colour as for RGB, alpha bicubic by default, or nearest", async () => {
    const rgba = picture(12, 10, 4);
    const rgb: Image8 = { width: 12, height: 10, channels: 3, data: new Uint8Array(12 * 10 * 3) };
    for (let i = 0; i < 120; i++) for (let c = 0; c < 3; c++) rgb.data[3 * i + c] = rgba.data[4 * i + c];
    const outRgb = await sr.upscale(rgb);
    const bic = await sr.upscale(rgba);
    const near = await sr.upscale(rgba, { alpha: "nearest" });
    expect(bic).toMatchObject({ width: 24, height: 20, channels: 4 });
    const colour = (img: Image8) => img.data.filter((_, i) => i % 4 !== 3);
    const alpha = (img: Image8) => img.data.filter((_, i) => i % 4 === 3);
    expect(maxDiff(colour(bic), outRgb.data)).toBe(0);
    expect(maxDiff(colour(near), outRgb.data)).toBe(0);
    // bicubic alpha = bicubic imresize of the alpha plane
    const alphaIn = makeImage(12, 10, 1, Float32Array.from(alpha(rgba), (v) => v / 255));
    const alphaRef = Uint8ClampedArray.from(imresize(alphaIn, 2).data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
    expect(maxDiff(alpha(bic), alphaRef)).toBe(0);
    // nearest alpha copies each LR alpha into a 2×2 block
    const na = alpha(near);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 24; x++) expect(na[y * 24 + x]).toBe(rgba.data[(Math.floor(y / 2) * 12 + Math.floor(x / 2)) * 4 + 3]);
    // a constant alpha stays constant under bicubic
    const flat = picture(9, 8, 4);
    for (let i = 3; i < flat.data.length; i += 4) flat.data[i] = 128;
    expect(new Set(alpha(await sr.upscale(flat)))).toEqual(new Set([128]));
  });

  test("Uint8Array and Uint8ClampedArray inputs give the same result", async () => {
    const img = picture(10, 6, 3);
    const a = await sr.upscale(img);
    const b = await sr.upscale({ ...img, data: new Uint8ClampedArray(img.data) });
    expect(maxDiff(a.data, b.data)).toBe(0);
  });

  test("tiled output equals the untiled output (no seams)", async () => {
    for (const [channels, tiles] of [[1, [9, 20]], [3, [16]]] as const) {
      const img = picture(41, 30, channels, 3);
      const whole = await sr.upscale(img, { tile: 4096 });
      for (const tile of tiles) {
        const tiled = await sr.upscale(img, { tile });
        expect(tiled.width).toBe(82);
        expect(maxDiff(tiled.data, whole.data)).toBe(0);
      }
    }
  }, 60_000);

  test("concurrent calls are serialised and each gets its own result", async () => {
    const [a, b] = await Promise.all([sr.upscale(picture(6, 6, 1)), sr.upscale(picture(8, 5, 3))]);
    expect([a.width, a.height, a.channels, b.width, b.height, b.channels]).toEqual([12, 12, 1, 16, 10, 3]);
  });

  test("bicubicUpscale: MATLAB imresize of every channel, 8-bit", () => {
    const img = picture(9, 7, 4);
    const out = bicubicUpscale(img, 3);
    expect(out).toMatchObject({ width: 27, height: 21, channels: 4 });
    const ref = imresize(makeImage(9, 7, 4, Float32Array.from(img.data, (v) => v / 255)), 3);
    expect(maxDiff(out.data, Uint8ClampedArray.from(ref.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)))).toBe(0);
  });
});

describe("clear errors", () => {
  test("invalid images", async () => {
    const good = picture(4, 4, 3);
    await expect(sr.upscale({ ...good, data: good.data.subarray(1) })).rejects.toThrow("image data has 47 bytes, expected 4×4×3 = 48");
    await expect(sr.upscale({ width: 4, height: 4, channels: 2 as 3, data: new Uint8Array(32) })).rejects.toThrow("image channels must be 1 (grey), 3 (RGB) or 4 (RGBA), got 2");
    await expect(sr.upscale({ width: 0, height: 4, channels: 3, data: new Uint8Array(0) })).rejects.toThrow("image size must be positive integers, got 0×4");
    await expect(sr.upscale({ width: 2.5, height: 4, channels: 1, data: new Uint8Array(10) })).rejects.toThrow("image size must be positive integers");
    await expect(sr.upscale({ width: 4, height: 4, channels: 1, data: new Float32Array(16) as unknown as Uint8Array })).rejects.toThrow("image data must be a Uint8Array or Uint8ClampedArray of 8-bit samples, got a Float32Array");
    await expect(sr.upscale(null as unknown as Image8)).rejects.toThrow("image must be { width, height, channels, data }");
    await expect(sr.upscale(good, { tile: 0 })).rejects.toThrow("tile must be a positive integer");
    await expect(sr.upscale({ width: 2, height: 2, channels: 4, data: new Uint8Array(16) }, { alpha: "linear" as "nearest" })).rejects.toThrow('alpha must be "bicubic" or "nearest"');
    // the upscaler still works after rejecting bad input
    expect((await sr.upscale(good)).width).toBe(8);
  });

  test("weights that are not a safetensors file", async () => {
    await expect(createUpscaler({ weights: new TextEncoder().encode("<html>404 not found</html>") })).rejects.toThrow(/^weights are not a valid safetensors checkpoint: header length \d+ runs past the end/);
    await expect(createUpscaler({ weights: new Uint8Array(3) })).rejects.toThrow("weights are not a valid safetensors checkpoint: file is 3 bytes");
    await expect(createUpscaler({ weights: "weights-x2.safetensors" as unknown as Uint8Array })).rejects.toThrow("weights must be the bytes of a safetensors file (Uint8Array or ArrayBuffer), got a string");
    await expect(createUpscaler(null as unknown as { weights: Uint8Array })).rejects.toThrow("createUpscaler takes an options object");
  });

  test("a teacher checkpoint, or one without PISR metadata", async () => {
    await expect(createUpscaler({ weights: await randomWeights(2, { architecture: "teacher" }), backend: "cpu" })).rejects.toThrow(
      "weights are a teacher checkpoint: the teacher needs the HR image; use a student or baseline checkpoint to upscale",
    );
    const bare = encodeSafetensors(new Map([["w", { shape: [2], data: new Float32Array(2) }]]));
    await expect(createUpscaler({ weights: bare, backend: "cpu" })).rejects.toThrow("weights have no PISR architecture in their safetensors metadata (found undefined)");
  });

  test("wrong scale, unknown backend, mismatched tensors, use after dispose", async () => {
    await expect(createUpscaler({ weights: weights2, scale: 4, backend: "cpu" })).rejects.toThrow("the weights are for ×2, but scale 4 was asked for");
    await expect(createUpscaler({ weights: weights2, backend: "metal" as "cpu" })).rejects.toThrow('unknown backend "metal"');
    const wrong = encodeSafetensors(new Map([["backbone.network.feature_extraction.0.0.weight", { shape: [1], data: new Float32Array(1) }]]), {
      architecture: "baseline",
      scale: "2",
      model_config: JSON.stringify({ scale: 2 }),
    });
    await expect(createUpscaler({ weights: wrong, backend: "cpu" })).rejects.toThrow(/^weights do not fit a fsrcnn baseline with config/);
    const up = await createUpscaler({ weights: weights2, backend: "cpu" });
    up.dispose();
    up.dispose(); // idempotent
    await expect(up.upscale(picture(4, 4, 1))).rejects.toThrow("this upscaler has been disposed");
  });
});

describe("packaging", () => {
  test('the package\'s "exports" point at the embedding API', async () => {
    const pkg = await Bun.file(join(root, "package.json")).json();
    // Bun takes the sources; Node the built JavaScript (test/embed/package.test.ts installs that)
    expect(pkg.exports["."]).toMatchObject({ bun: "./embed/index.ts", default: "./dist/embed/index.js", types: "./dist/types/embed/index.d.ts" });
    const viaName = await import("pisr-webgpu");
    expect(viaName.createUpscaler).toBe(createUpscaler);
  });

  test("the API bundles for the browser with nothing Node- or Bun-only in it", async () => {
    // the guard plugin refuses Node/Bun built-ins (Bun's browser target would otherwise stub them silently)
    const result = await Bun.build({ entrypoints: [join(root, "embed/index.ts")], target: "browser", minify: true, plugins: noServerOnlyImports });
    expect(result.success).toBe(true);
    const text = await result.outputs[0].text();
    expect(text).not.toContain("node:");
    expect(text).not.toContain("bun-webgpu");
    expect(text).toContain("createUpscaler"); // exported name survives
  });

});

test("the README's embedding example runs as written", async () => {
  const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import("node:fs");
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const code = readme.match(/## Embedding[\s\S]*?```ts\n([\s\S]*?)```/)?.[1];
  expect(code).toBeDefined();
  const prelude = `import { randomWeights } from ${JSON.stringify(join(root, "embed/weights.ts"))};\nconst weights = await randomWeights(2);\nconst width = 5, height = 4, data = new Uint8Array(80).fill(200);\n`;
  const body = code!.replace(/^import .*\n/m, "").replace("sr.dispose();", "console.log(JSON.stringify([out.width, out.height, out.channels, out.data.length]));\nsr.dispose();");
  const dir = mkdtempSync(join(root, "node_modules", ".readme-embed-"));
  writeFileSync(join(dir, "example.ts"), `${code!.match(/^import .*$/m)![0]}\n${prelude}${body}`);
  const proc = Bun.spawnSync([process.execPath, join(dir, "example.ts")], { cwd: root });
  rmSync(dir, { recursive: true, force: true });
  expect(proc.exitCode, proc.stderr.toString()).toBe(0);
  expect(proc.stdout.toString().trim().split("\n").at(-1)).toBe("[10,8,4,320]");
}, 60_000);

test("embed/ builds on engine/, image/, models/, checkpoint/ and infer/ only: nothing from train/", () => {
  const { readdirSync, readFileSync } = require("node:fs") as typeof import("node:fs");
  for (const f of readdirSync(join(root, "embed")).filter((n) => n.endsWith(".ts"))) {
    const text = readFileSync(join(root, "embed", f), "utf8");
    expect(text.match(/from "\.\.\/train\//g) ?? [], `embed/${f}`).toEqual([]);
  }
});
