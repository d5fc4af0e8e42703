#!/usr/bin/env bun
// The reproduction's curves as one SVG: validation PSNR against iterations for the baseline and the student
// (with bicubic for reference), the teacher's on its own panel (it sees the HR image: another scale), and every
// loss term, averaged over 100 steps, on a log axis.
//
//   bun scripts/plot-runs.ts [RUNS_DIR=runs/x4] [--bicubic 28.42] [--out RUNS_DIR/curves.svg]

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomically } from "../io/atomic-write.ts";
import { num, parseFlags } from "../train/cli-args.ts";

const { values: v, positionals } = parseFlags({
  args: process.argv.slice(2), allowPositionals: true, strict: true, options: { bicubic: { type: "string" }, out: { type: "string" } },
}, "bun scripts/plot-runs.ts [RUNS_DIR=runs/x4] [--bicubic 28.42] [--out RUNS_DIR/curves.svg]");
const root = positionals[0] ?? "runs/x4";
const out = v.out ?? join(root, "curves.svg");
const bicubic = v.bicubic === undefined ? null : num(v.bicubic, "bicubic", NaN);

type Row = Record<string, number>;
const runs: Record<string, Row[]> = {};
for (const stage of ["baseline", "student", "teacher", "baseline-seed1", "baseline-40k"]) {
  const f = join(root, stage, "metrics.jsonl");
  if (existsSync(f)) runs[stage] = readFileSync(f, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}
if (!Object.keys(runs).length) {
  console.error(`error: no */metrics.jsonl under ${root}`);
  process.exit(2);
}
/** the longest schedule among the runs: every panel's x axis spans it, so a run in progress shows how far it is */
const SCHEDULED = Math.max(0, ...Object.keys(runs).map((stage) => {
  const f = join(root, stage, "config.json");
  if (!existsSync(f)) return 0;
  const c = JSON.parse(readFileSync(f, "utf8")) as { epochs: number; itersPerEpoch: number };
  return c.epochs * c.itersPerEpoch;
}));
const COLOURS: Record<string, string> = { baseline: "#7f8c8d", student: "#c0392b", teacher: "#2471a3", "baseline-seed1": "#b7950b", "baseline-40k": "#1e8449" };
const DASH: Record<string, string> = { reconstruction: "", imitation: "6 3", distillation: "2 2" };

interface Series {
  label: string;
  colour: string;
  dash?: string;
  points: [number, number][];
}

function panel(title: string, series: Series[], x0: number, y0: number, w: number, h: number, opts: { log?: boolean; hline?: [string, number] } = {}): string {
  const all = series.flatMap((s) => s.points);
  if (opts.hline) all.push([all[0]?.[0] ?? 0, opts.hline[1]]);
  if (!all.length) return "";
  const fy = (y: number) => (opts.log ? Math.log10(y) : y);
  const xs = all.map((p) => p[0]), ys = all.map((p) => fy(p[1]));
  const [xa, xb] = [0, Math.max(SCHEDULED, ...xs)], [ya0, yb0] = [Math.min(...ys), Math.max(...ys)];
  const pad = (yb0 - ya0) * 0.05 || 0.5;
  const [ya, yb] = [ya0 - pad, yb0 + pad];
  const sx = (x: number) => x0 + (xb > xa ? ((x - xa) / (xb - xa)) * w : 0);
  const sy = (y: number) => y0 + h - ((fy(y) - ya) / (yb - ya)) * h;
  const parts = [`<text x="${x0}" y="${y0 - 8}" font-size="13" font-weight="bold">${title}</text>`,
    `<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#ccc"/>`];
  for (let i = 0; i <= 4; i++) {
    const yv = ya + ((yb - ya) * i) / 4;
    const label = opts.log ? (10 ** yv).toPrecision(2) : yv.toFixed(2);
    parts.push(`<text x="${x0 - 4}" y="${(y0 + h - (h * i) / 4 + 4).toFixed(1)}" font-size="10" text-anchor="end">${label}</text>`);
  }
  parts.push(`<text x="${x0 + w}" y="${y0 + h + 14}" font-size="10" text-anchor="end">${xb} iterations</text><text x="${x0}" y="${y0 + h + 14}" font-size="10">0</text>`);
  if (opts.hline) {
    const y = sy(opts.hline[1]).toFixed(1);
    parts.push(`<line x1="${x0}" x2="${x0 + w}" y1="${y}" y2="${y}" stroke="#999" stroke-dasharray="4 4"/><text x="${x0 + w - 4}" y="${Number(y) - 4}" font-size="10" text-anchor="end">${opts.hline[0]}</text>`);
  }
  series.forEach((s, i) => {
    if (!s.points.length) return;
    const d = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" ");
    parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="1.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""} points="${d}"/>`);
    const last = s.points.at(-1)!;
    parts.push(`<text x="${x0 + 8}" y="${y0 + 14 + 13 * i}" font-size="11" fill="${s.colour}">${s.label}${opts.log ? "" : `: ${last[1].toFixed(2)} dB at ${last[0]}`}</text>`);
  });
  return parts.join("\n");
}

const valOf = (rows: Row[]) => rows.filter((r) => r.val_psnr !== undefined).map((r) => [r.step, r.val_psnr] as [number, number]);
/** mean of each 100-step bucket of a loss term */
function averaged(rows: Row[], key: string): [number, number][] {
  const buckets = new Map<number, number[]>();
  for (const r of rows) if (r[key] !== undefined && r.step !== undefined) buckets.set(Math.ceil(r.step / 100) * 100, [...(buckets.get(Math.ceil(r.step / 100) * 100) ?? []), r[key]]);
  return [...buckets].map(([s, vs]) => [s, vs.reduce((a, b) => a + b, 0) / vs.length] as [number, number]).filter(([, y]) => y > 0);
}

const sr = Object.entries(runs).filter(([k]) => k !== "teacher").map(([k, rows]) => ({ label: k, colour: COLOURS[k], points: valOf(rows) }));
const teacher = runs.teacher ? [{ label: "teacher (sees HR)", colour: COLOURS.teacher, points: valOf(runs.teacher) }] : [];
const losses: Series[] = [];
for (const [k, rows] of Object.entries(runs)) {
  for (const term of ["reconstruction", "imitation", "distillation"]) {
    const pts = averaged(rows, term);
    if (pts.length) losses.push({ label: `${k} ${term}`, colour: COLOURS[k], dash: DASH[term], points: pts });
  }
}
const W = 760;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="900" font-family="sans-serif">
<rect width="${W}" height="900" fill="white"/>
${panel("Set5 validation Y-PSNR (dB), ×4: FSRCNN baseline and PISR student", sr, 60, 40, W - 90, 230, { hline: bicubic === null ? undefined : ["bicubic", bicubic] })}
${panel("Set5 validation Y-PSNR (dB) of the teacher (its input is the HR image)", teacher, 60, 330, W - 90, 200)}
${panel("loss terms (mean of each 100 steps, log scale; solid: reconstruction L1, dashed: imitation, dotted: VID)", losses, 60, 590, W - 90, 280, { log: true })}
</svg>
`;
writeFileAtomically(out, svg, "plot");
console.log(`wrote ${out}`);
