// The demo page: open or drop an image, pick a scale, compare bicubic with FSRCNN-PISR (slider), download.
// Weights: weights-x{2,3,4}.safetensors next to the page (web/build.ts puts them there).
// For tests, window.pisrDemo exposes the state; <body data-state> is loading | ready | working | done | error.

import { bicubicUpscale, createUpscaler, type Image8, readCheckpoint, type UpscaledImage, type Upscaler } from "../embed/index.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const backendPref = (params.get("backend") ?? "auto") as "auto" | "webgpu" | "cpu";

interface DemoState {
  scales: number[];
  untrained: boolean;
  backend?: { name: string; description: string; fallbackReason?: string };
  source?: Image8 & { name: string };
  result?: UpscaledImage & { scale: number; ms: number };
  bicubic?: UpscaledImage;
  error?: string;
}
const state: DemoState = { scales: [], untrained: false };
const weights = new Map<number, Uint8Array>();
const upscalers = new Map<number, Promise<Upscaler>>();
(window as unknown as { pisrDemo: unknown }).pisrDemo = { state, run: () => run() };

function setState(s: "loading" | "ready" | "working" | "done" | "error", message: string): void {
  document.body.dataset.state = s;
  const el = $("status");
  el.textContent = message;
  el.classList.toggle("error", s === "error");
}

async function discoverWeights(): Promise<void> {
  const select = $<HTMLSelectElement>("scale");
  for (const s of [2, 3, 4]) {
    const res = await fetch(`weights-x${s}.safetensors`).catch(() => null);
    if (!res?.ok) continue;
    const bytes = new Uint8Array(await res.arrayBuffer());
    const { metadata, architecture } = readCheckpoint(bytes);
    weights.set(s, bytes);
    state.scales.push(s);
    if (metadata.untrained === "true") state.untrained = true;
    const opt = document.createElement("option");
    opt.value = String(s);
    opt.textContent = `×${s} (${architecture}${metadata.untrained === "true" ? ", untrained" : ""})`;
    select.append(opt);
  }
  $("warning").classList.toggle("hidden", !state.untrained);
  if (!state.scales.length) throw new Error("no weights-x2/x3/x4.safetensors next to this page; build it with `bun web/build.ts`");
}

function upscalerFor(scale: number): Promise<Upscaler> {
  let p = upscalers.get(scale);
  if (!p) {
    p = createUpscaler({ weights: weights.get(scale)!, scale, backend: backendPref });
    upscalers.set(scale, p);
  }
  return p;
}

function showBackend(sr: Upscaler): void {
  state.backend = sr.backend;
  const b = sr.backend;
  $("backend").textContent = b.name === "webgpu" ? `Backend: WebGPU (${b.description})` : `Backend: CPU fallback (${b.description})${b.fallbackReason ? ` because ${b.fallbackReason}` : ""}`;
}

async function decodeFile(file: Blob): Promise<Image8> {
  const bitmap = await createImageBitmap(file, { premultiplyAlpha: "none", colorSpaceConversion: "none" });
  const canvas = document.createElement("canvas");
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return fromRgba(ctx.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
}

/** RGBA from a canvas → RGB when fully opaque (alpha needs no work), else RGBA. */
function fromRgba(rgba: Uint8ClampedArray, width: number, height: number): Image8 {
  const n = width * height;
  let opaque = true;
  for (let i = 0; i < n && opaque; i++) opaque = rgba[4 * i + 3] === 255;
  if (!opaque) return { width, height, channels: 4, data: rgba };
  const rgb = new Uint8ClampedArray(n * 3);
  for (let i = 0; i < n; i++) {
    rgb[3 * i] = rgba[4 * i];
    rgb[3 * i + 1] = rgba[4 * i + 1];
    rgb[3 * i + 2] = rgba[4 * i + 2];
  }
  return { width, height, channels: 3, data: rgb };
}

function draw(canvas: HTMLCanvasElement, img: Image8): void {
  canvas.width = img.width;
  canvas.height = img.height;
  const n = img.width * img.height;
  const rgba = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    const c = img.channels;
    rgba[4 * i] = img.data[c * i];
    rgba[4 * i + 1] = img.data[c * i + (c >= 3 ? 1 : 0)];
    rgba[4 * i + 2] = img.data[c * i + (c >= 3 ? 2 : 0)];
    rgba[4 * i + 3] = c === 4 ? img.data[4 * i + 3] : 255;
  }
  canvas.getContext("2d")!.putImageData(new ImageData(rgba, img.width, img.height), 0, 0);
}

/** A small synthetic picture (shapes and text) for trying the page without a file. */
function sampleImage(): Image8 & { name: string } {
  const c = document.createElement("canvas");
  c.width = 128;
  c.height = 96;
  const g = c.getContext("2d", { willReadFrequently: true })!;
  const grad = g.createLinearGradient(0, 0, 128, 96);
  grad.addColorStop(0, "#1e3a8a");
  grad.addColorStop(1, "#f59e0b");
  g.fillStyle = grad;
  g.fillRect(0, 0, 128, 96);
  g.fillStyle = "#fff";
  g.beginPath();
  g.arc(34, 40, 20, 0, Math.PI * 2);
  g.fill();
  g.strokeStyle = "#111";
  g.lineWidth = 1;
  for (let i = 0; i < 10; i++) {
    g.beginPath();
    g.moveTo(64 + i * 6, 10);
    g.lineTo(70 + i * 5, 60);
    g.stroke();
  }
  g.fillStyle = "#000";
  g.font = "bold 13px sans-serif";
  g.fillText("PISR ×SR", 8, 86);
  return { ...fromRgba(g.getImageData(0, 0, 128, 96).data, 128, 96), name: "sample" };
}

async function run(): Promise<void> {
  const src = state.source;
  if (!src) return;
  const scale = Number($<HTMLSelectElement>("scale").value);
  setState("working", `Upscaling ${src.width}×${src.height} ×${scale}…`);
  $<HTMLButtonElement>("download").disabled = true;
  try {
    const t0 = performance.now();
    const sr = await upscalerFor(scale);
    showBackend(sr);
    const t1 = performance.now();
    const out = await sr.upscale(src);
    const t2 = performance.now();
    const bic = bicubicUpscale(src, scale);
    const t3 = performance.now();
    state.result = { ...out, scale, ms: t2 - t1 };
    state.bicubic = bic;
    draw($("bicubic"), bic);
    draw($("sr"), out);
    $("compare").classList.remove("hidden");
    $("slider").classList.remove("hidden");
    split();
    $("timing").textContent = `FSRCNN-PISR ${(t2 - t1).toFixed(0)} ms on ${sr.backend.name}${t1 - t0 > 1 ? ` (+${(t1 - t0).toFixed(0)} ms loading the model)` : ""} · bicubic ${(t3 - t2).toFixed(0)} ms · ${src.width}×${src.height} → ${out.width}×${out.height}`;
    $<HTMLButtonElement>("download").disabled = false;
    setState("done", `${src.name}: ${src.width}×${src.height} → ${out.width}×${out.height}`);
  } catch (e) {
    state.error = (e as Error).message;
    setState("error", `Failed: ${state.error}`);
  }
}

function split(): void {
  const v = Number($<HTMLInputElement>("slider").value);
  $("sr").style.clipPath = `inset(0 0 0 ${v}%)`;
  $("line").style.left = `calc(${v}% - 1px)`;
}

async function open(file: File): Promise<void> {
  try {
    state.source = { ...(await decodeFile(file)), name: file.name };
  } catch (e) {
    state.error = `could not decode ${file.name}: ${(e as Error).message}`;
    setState("error", state.error);
    return;
  }
  await run();
}

function wire(): void {
  const drop = $("drop");
  $<HTMLInputElement>("file").addEventListener("change", (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (f) void open(f);
  });
  drop.addEventListener("dragover", (ev) => {
    ev.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    drop.classList.remove("over");
    const f = ev.dataTransfer?.files?.[0];
    if (f) void open(f);
  });
  $("sample").addEventListener("click", () => {
    state.source = sampleImage();
    void run();
  });
  $("scale").addEventListener("change", () => void run());
  $("slider").addEventListener("input", split);
  $("download").addEventListener("click", () => {
    const name = `${(state.source?.name ?? "image").replace(/\.[^.]*$/, "")}-x${state.result?.scale}-pisr.png`;
    $<HTMLCanvasElement>("sr").toBlob((blob) => {
      if (!blob) return;
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    }, "image/png");
  });
}

async function main(): Promise<void> {
  wire();
  try {
    await discoverWeights();
  } catch (e) {
    state.error = (e as Error).message;
    setState("error", state.error);
    return;
  }
  // Start the backend now so the first upscale doesn't wait for it, and show which one we got.
  const first = Math.min(...state.scales);
  $<HTMLSelectElement>("scale").value = String(first);
  try {
    showBackend(await upscalerFor(first));
  } catch (e) {
    state.error = (e as Error).message;
    setState("error", `Could not start: ${state.error}`);
    return;
  }
  setState("ready", "Open or drop an image, or try the sample.");
  if (params.has("sample")) $("sample").click();
}

void main();
