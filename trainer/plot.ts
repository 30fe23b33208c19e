// Tiny line plots of loss curves: an RGB raster (for PNG files, no text) and an SVG with axis labels
// (for the HTML report). Both use the same scaling so the pictures agree.
import type { RasterImage } from '../runtime/png.js';

export interface Series {
  name: string;
  /** CSS/hex colour '#rrggbb' */
  color: string;
  /** y values at x = 1, 2, 3, ... */
  values: number[];
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

function frame(series: Series[], width: number, height: number, margin: number): Frame {
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  let yMin = all.length ? Math.min(...all) : 0;
  let yMax = all.length ? Math.max(...all) : 1;
  if (yMax - yMin < 1e-9) {
    yMin -= 1;
    yMax += 1;
  }
  const pad = (yMax - yMin) * 0.05;
  const xMax = Math.max(2, ...series.map((s) => s.values.length));
  return { width, height, left: margin, right: width - 10, top: 10, bottom: height - margin, xMax, yMin: yMin - pad, yMax: yMax + pad };
}

const px = (f: Frame, x: number) => f.left + ((x - 1) / (f.xMax - 1)) * (f.right - f.left);
const py = (f: Frame, y: number) => f.bottom - ((y - f.yMin) / (f.yMax - f.yMin)) * (f.bottom - f.top);

function rgb(hex: string): [number, number, number] {
  const v = parseInt(hex.replace('#', ''), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** Raster line plot: white background, grey axes, one 2-pixel polyline per series with dots at the points. */
export function plotRaster(series: Series[], width = 480, height = 300): RasterImage {
  const f = frame(series, width, height, 30);
  const data = new Uint8Array(width * height * 3).fill(255);
  const set = (x: number, y: number, c: [number, number, number]) => {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= width || yi >= height) return;
    data.set(c, (yi * width + xi) * 3);
  };
  const line = (x0: number, y0: number, x1: number, y1: number, c: [number, number, number], thick: number) => {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    for (let i = 0; i <= steps; i++) {
      const x = x0 + ((x1 - x0) * i) / steps;
      const y = y0 + ((y1 - y0) * i) / steps;
      for (let d = 0; d < thick; d++) {
        set(x, y + d, c);
        set(x + d, y, c);
      }
    }
  };
  const grey: [number, number, number] = [150, 150, 150];
  line(f.left, f.top, f.left, f.bottom, grey, 1);
  line(f.left, f.bottom, f.right, f.bottom, grey, 1);
  for (let x = 1; x <= f.xMax; x++) line(px(f, x), f.bottom, px(f, x), f.bottom + 4, grey, 1);
  for (const s of series) {
    const c = rgb(s.color);
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      if (i > 0 && Number.isFinite(s.values[i - 1])) line(px(f, i), py(f, s.values[i - 1]), px(f, i + 1), py(f, v), c, 2);
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) set(px(f, i + 1) + dx, py(f, v) + dy, c);
    });
  }
  return { width, height, channels: 3, data };
}

/** The same plot as SVG, with tick labels, axis titles and a legend. */
export function plotSvg(series: Series[], xLabel: string, yLabel: string, width = 480, height = 300): string {
  const f = frame(series, width, height, 50);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.bottom}" stroke="#999"/>`,
    `<line x1="${f.left}" y1="${f.bottom}" x2="${f.right}" y2="${f.bottom}" stroke="#999"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = f.yMin + ((f.yMax - f.yMin) * i) / 4;
    parts.push(`<text x="${f.left - 4}" y="${py(f, v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`);
  }
  const step = Math.max(1, Math.ceil(f.xMax / 10));
  for (let x = 1; x <= f.xMax; x += step) parts.push(`<text x="${px(f, x)}" y="${f.bottom + 14}" text-anchor="middle">${x}</text>`);
  parts.push(`<text x="${(f.left + f.right) / 2}" y="${height - 4}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(`<text x="12" y="${(f.top + f.bottom) / 2}" transform="rotate(-90 12 ${(f.top + f.bottom) / 2})" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, k) => {
    const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${px(f, i + 1).toFixed(1)},${py(f, v).toFixed(1)}` : '')).filter(Boolean);
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const p of pts) parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${s.color}"/>`);
    parts.push(`<text x="${f.right - 4}" y="${f.top + 12 + 14 * k}" text-anchor="end" fill="${s.color}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
