// Training curves as a self-contained SVG: loss (log scale) against step, and validation PSNR.

import { readFileSync } from "node:fs";
import { writeFileAtomically } from "../io/atomic-write.ts";

function polyline(points: [number, number][], x0: number, y0: number, w: number, h: number, colour: string): string {
  if (!points.length) return "";
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const [xa, xb] = [Math.min(...xs), Math.max(...xs)], [ya, yb] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => x0 + (xb > xa ? ((x - xa) / (xb - xa)) * w : w / 2);
  const sy = (y: number) => y0 + h - (yb > ya ? ((y - ya) / (yb - ya)) * h : h / 2);
  const d = points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" ");
  return `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${d}"/>` +
    `<text x="${x0}" y="${y0 - 4}" font-size="11">${ya.toPrecision(4)} … ${yb.toPrecision(4)}</text>`;
}

export function writeCurves(metricsPath: string, svgPath: string): void {
  const rows = readFileSync(metricsPath, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>);
  const loss = rows.filter((r) => r.loss !== undefined).map((r) => [r.step, Math.log10(r.loss)] as [number, number]);
  const val = rows.filter((r) => r.val_psnr !== undefined).map((r) => [r.step, r.val_psnr] as [number, number]);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="420" font-family="sans-serif">
<rect width="640" height="420" fill="white"/>
<text x="20" y="20" font-size="13">training loss (log10) vs step</text>${polyline(loss, 40, 40, 580, 150, "#c0392b")}
<text x="20" y="240" font-size="13">validation PSNR (dB) vs step</text>${polyline(val, 40, 260, 580, 140, "#2471a3")}
</svg>\n`;
  writeFileAtomically(svgPath, svg, "plot");
}
