// Line plots of loss curves: an RGB raster (for the PNG files) and an SVG (for the HTML report), both with
// axes, tick values, axis titles and a legend that gives each series' last value. Both use the same
// scaling so the pictures agree. A single epoch is one point per series: it is drawn as a level line
// across the plot (and its value in the legend) so the chart still reads.
import type { RasterImage } from '../runtime/png.js';
import { drawText, GLYPH_HEIGHT, textWidth } from './pixel-font.js';

export interface Series {
  name: string;
  /** CSS/hex colour '#rrggbb' */
  color: string;
  /** y values at x = 1, 2, 3, ... */
  values: number[];
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
  yTicks: number[];
  xTicks: number[];
}

/** Tick positions at a multiple of 1, 2 or 5 times a power of ten, as close to `count` of them as possible. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const power = 10 ** Math.floor(Math.log10((hi - lo) / Math.max(1, count - 1)));
  const ticksOf = (step: number) => {
    const out: number[] = [];
    for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
    return out;
  };
  let best: number[] = [];
  for (const m of [0.1, 0.2, 0.5, 1, 2, 5, 10]) {
    const ticks = ticksOf(m * power);
    if (best.length === 0 || Math.abs(ticks.length - count) < Math.abs(best.length - count)) best = ticks;
  }
  return best;
}

function frame(series: Series[], width: number, height: number, margins: { left: number; bottom: number; top: number; right: number }): Frame {
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  let yMin = all.length ? Math.min(...all) : 0;
  let yMax = all.length ? Math.max(...all) : 1;
  if (yMax - yMin < 1e-9 * Math.max(1, Math.abs(yMax))) {
    yMin -= Math.max(1, Math.abs(yMin) * 0.05);
    yMax += Math.max(1, Math.abs(yMax) * 0.05);
  }
  const pad = (yMax - yMin) * 0.08;
  const yTicks = niceTicks(yMin - pad, yMax + pad);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  // One epoch: put it in the middle of a short axis instead of at the left edge.
  const [xMin, xMax] = n === 1 ? [0.5, 1.5] : [1, n];
  const step = Math.max(1, Math.ceil(n / 10));
  const xTicks: number[] = [];
  for (let x = 1; x <= n; x += step) xTicks.push(x);
  if (xTicks[xTicks.length - 1] !== n) xTicks.push(n);
  return {
    width, height, left: margins.left, right: width - margins.right, top: margins.top, bottom: height - margins.bottom,
    xMin, xMax, yMin: Math.min(yMin - pad, yTicks[0]!), yMax: Math.max(yMax + pad, yTicks[yTicks.length - 1]!), yTicks, xTicks,
  };
}

export const px = (f: Frame, x: number) => f.left + ((x - f.xMin) / (f.xMax - f.xMin)) * (f.right - f.left);
export const py = (f: Frame, y: number) => f.bottom - ((y - f.yMin) / (f.yMax - f.yMin)) * (f.bottom - f.top);

/** Tick label: as few decimals as the step needs. */
function tickLabel(v: number, ticks: number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(decimals);
}

const lastValue = (s: Series): number | undefined => [...s.values].reverse().find(Number.isFinite);
const legendText = (s: Series): string => {
  const v = lastValue(s);
  return v === undefined ? s.name : `${s.name} ${v.toFixed(2)}`;
};

function rgb(hex: string): [number, number, number] {
  const v = parseInt(hex.replace('#', ''), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

type Rgb = [number, number, number];

/** Raster line plot: white background, grey axes and grid, tick values, axis titles, legend. */
export function plotRaster(series: Series[], xLabel = 'epoch', yLabel = 'nats per image', width = 560, height = 340): RasterImage {
  const probe = frame(series, width, height, { left: 0, bottom: 0, top: 0, right: 0 });
  const labelWidth = Math.max(...probe.yTicks.map((t) => textWidth(tickLabel(t, probe.yTicks))));
  const legendHeight = series.length * 12 + 6;
  // The legend sits above the plot area, so no curve runs under it.
  const f = frame(series, width, height, { left: labelWidth + 26, bottom: 34, top: legendHeight + 14, right: 16 });
  const data = new Uint8Array(width * height * 3).fill(255);
  const set = (x: number, y: number, c: Rgb) => {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= width || yi >= height) return;
    data.set(c, (yi * width + xi) * 3);
  };
  const line = (x0: number, y0: number, x1: number, y1: number, c: Rgb, thick = 1, dash = 0) => {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    for (let i = 0; i <= steps; i++) {
      if (dash && Math.floor(i / dash) % 2 === 1) continue;
      const x = x0 + ((x1 - x0) * i) / steps;
      const y = y0 + ((y1 - y0) * i) / steps;
      for (let d = 0; d < thick; d++) {
        set(x, y + d, c);
        set(x + d, y, c);
      }
    }
  };
  const text = (s: string, x: number, y: number, c: Rgb, vertical = false) => drawText(s, Math.round(x), Math.round(y), (a, b) => set(a, b, c), 1, vertical);
  const grid: Rgb = [228, 228, 228];
  const axis: Rgb = [110, 110, 110];
  const ink: Rgb = [40, 40, 40];

  for (const t of f.yTicks) {
    const y = py(f, t);
    line(f.left, y, f.right, y, grid);
    line(f.left - 4, y, f.left, y, axis);
    const label = tickLabel(t, f.yTicks);
    text(label, f.left - 7 - textWidth(label), y - (GLYPH_HEIGHT >> 1), ink);
  }
  for (const t of f.xTicks) {
    const x = px(f, t);
    line(x, f.bottom, x, f.bottom + 4, axis);
    text(String(t), x - textWidth(String(t)) / 2, f.bottom + 7, ink);
  }
  line(f.left, f.top, f.left, f.bottom, axis);
  line(f.left, f.bottom, f.right, f.bottom, axis);
  text(xLabel, (f.left + f.right) / 2 - textWidth(xLabel) / 2, height - GLYPH_HEIGHT - 4, ink);
  text(yLabel, 4, (f.top + f.bottom) / 2 + textWidth(yLabel) / 2, ink, true);

  for (const s of series) {
    const c = rgb(s.color);
    const finite = s.values.filter(Number.isFinite).length;
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      if (finite === 1) line(f.left, py(f, v), f.right, py(f, v), c, 1, 4);
      if (i > 0 && Number.isFinite(s.values[i - 1])) line(px(f, i), py(f, s.values[i - 1]), px(f, i + 1), py(f, v), c, 2);
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) set(px(f, i + 1) + dx, py(f, v) + dy, c);
    });
  }

  // Legend: top right, above the plot area.
  const rows = series.map(legendText);
  const boxW = Math.max(...rows.map((r) => textWidth(r))) + 30;
  const boxH = legendHeight;
  const bx = f.right - boxW;
  const by = 6;
  line(bx, by, bx + boxW, by, grid);
  line(bx, by + boxH, bx + boxW, by + boxH, grid);
  line(bx, by, bx, by + boxH, grid);
  line(bx + boxW, by, bx + boxW, by + boxH, grid);
  series.forEach((s, k) => {
    const y = by + 6 + k * 12;
    line(bx + 5, y + 3, bx + 19, y + 3, rgb(s.color), 2);
    text(rows[k]!, bx + 24, y, ink);
  });
  return { width, height, channels: 3, data };
}

/** The same plot as SVG, with tick values, axis titles and a legend. */
export function plotSvg(series: Series[], xLabel: string, yLabel: string, width = 560, height = 340): string {
  const f = frame(series, width, height, { left: 56, bottom: 40, top: series.length * 14 + 14, right: 16 });
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
  ];
  for (const t of f.yTicks) {
    parts.push(`<line x1="${f.left}" y1="${py(f, t)}" x2="${f.right}" y2="${py(f, t)}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${f.left - 6}" y="${py(f, t) + 4}" text-anchor="end">${tickLabel(t, f.yTicks)}</text>`);
  }
  for (const t of f.xTicks) parts.push(`<text x="${px(f, t)}" y="${f.bottom + 15}" text-anchor="middle">${t}</text>`);
  parts.push(`<line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.bottom}" stroke="#777"/>`);
  parts.push(`<line x1="${f.left}" y1="${f.bottom}" x2="${f.right}" y2="${f.bottom}" stroke="#777"/>`);
  parts.push(`<text x="${(f.left + f.right) / 2}" y="${height - 6}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(`<text x="12" y="${(f.top + f.bottom) / 2}" transform="rotate(-90 12 ${(f.top + f.bottom) / 2})" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, k) => {
    const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${px(f, i + 1).toFixed(1)},${py(f, v).toFixed(1)}` : '')).filter(Boolean);
    if (pts.length === 1) {
      const y = pts[0]!.split(',')[1];
      parts.push(`<line x1="${f.left}" y1="${y}" x2="${f.right}" y2="${y}" stroke="${s.color}" stroke-dasharray="4 4"/>`);
    }
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const p of pts) parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${s.color}"/>`);
    const y = 14 + 14 * k;
    parts.push(`<line x1="${f.right - 150}" y1="${y - 4}" x2="${f.right - 136}" y2="${y - 4}" stroke="${s.color}" stroke-width="2"/>`);
    parts.push(`<text x="${f.right - 132}" y="${y}" fill="#222">${esc(legendText(s))}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
