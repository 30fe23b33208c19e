// parity.html: summary tables and, per shown sample (worst first), float | model | |difference| heat map.
import { deflateSync } from 'node:zlib';
import { encodePng } from '../runtime/png.js';
import type { ParityResult } from './compare.js';

const SCALE = 4;

/** CHW image in [0, 1] -> grayscale (C = 1) or RGB PNG, upscaled SCALE x by nearest neighbour. */
function imagePng(v: Float32Array, shape: readonly number[]): Uint8Array {
  const [C, H, W] = shape.length === 3 ? (shape as [number, number, number]) : [1, 1, v.length];
  const channels = C === 3 ? 3 : 1;
  const data = new Uint8Array(H * SCALE * W * SCALE * channels);
  for (let y = 0; y < H * SCALE; y++) for (let x = 0; x < W * SCALE; x++) for (let c = 0; c < channels; c++) {
    const val = v[c * H * W + Math.floor(y / SCALE) * W + Math.floor(x / SCALE)]!;
    data[(y * W * SCALE + x) * channels + c] = Math.round(255 * Math.min(1, Math.max(0, val)));
  }
  return encodePng({ width: W * SCALE, height: H * SCALE, channels, data }, (raw) => deflateSync(raw));
}

/** |a - b| (max over channels) as a black -> red -> yellow -> white heat map; `range` maps to white. */
function heatPng(a: Float32Array, b: Float32Array, shape: readonly number[], range: number): Uint8Array {
  const [C, H, W] = shape.length === 3 ? (shape as [number, number, number]) : [1, 1, a.length];
  const data = new Uint8Array(H * SCALE * W * SCALE * 3);
  for (let y = 0; y < H * SCALE; y++) for (let x = 0; x < W * SCALE; x++) {
    let d = 0;
    for (let c = 0; c < C; c++) { const p = c * H * W + Math.floor(y / SCALE) * W + Math.floor(x / SCALE); d = Math.max(d, Math.abs(a[p]! - b[p]!)); }
    const t = Math.min(1, d / range) * 3;
    const o = (y * W * SCALE + x) * 3;
    data[o] = Math.round(255 * Math.min(1, t));
    data[o + 1] = Math.round(255 * Math.min(1, Math.max(0, t - 1)));
    data[o + 2] = Math.round(255 * Math.min(1, Math.max(0, t - 2)));
  }
  return encodePng({ width: W * SCALE, height: H * SCALE, channels: 3, data }, (raw) => deflateSync(raw));
}

const uri = (png: Uint8Array) => `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const fmt = (v: number | undefined, d = 4) => (v === undefined ? '–' : Number.isFinite(v) ? v.toFixed(d) : String(v));

export interface ShownSample { index: number; psnr: number; ssim: number; maxAbs: number; ref: Float32Array; model: Float32Array }

export function parityHtml(r: ParityResult, shown: ShownSample[], shape: readonly number[]): string {
  const range = Math.max(1e-6, ...shown.map((s) => s.maxAbs));
  const rows = shown.map((s) => `<tr><td>#${s.index}</td><td>${fmt(s.psnr, 2)} dB</td><td>${fmt(s.ssim)}</td><td>${fmt(s.maxAbs)}</td>` +
    `<td><img src="${uri(imagePng(s.ref, shape))}"></td><td><img src="${uri(imagePng(s.model, shape))}"></td>` +
    `<td><img src="${uri(heatPng(s.ref, s.model, shape, range))}"></td></tr>`).join('\n');
  const outputs = r.outputs.map((o) => `<tr><td>${esc(o.name)}</td><td>${o.samples}</td><td>${fmt(o.maxAbs)}</td><td>${fmt(o.rmse, 6)}</td>` +
    `<td>${fmt(o.psnr?.mean, 2)}</td><td>${fmt(o.psnr?.worst, 2)}</td><td>${fmt(o.ssim?.mean)}</td><td>${fmt(o.ssim?.worst)}</td></tr>`).join('\n');
  const layers = (r.layers ?? []).map((l) => `<tr><td>${esc(l.entry)}</td><td>${l.op}</td><td>${esc(l.name)}</td><td>${esc(l.kind)}</td><td>${fmt(l.psnrDb, 2)} dB</td></tr>`).join('\n');
  const extra = r.encoder ? `<p>Encoder: mean |mu<sub>model</sub> − mu<sub>ref</sub>| = ${fmt(r.encoder.muMeanAbs, 5)} = ${fmt(100 * r.encoder.muRelativeToStd, 3)}% of the latent std;
 reconstruction BCE model ${fmt(r.encoder.bceModel, 3)} vs reference ${fmt(r.encoder.bceReference, 3)} (${fmt(100 * r.encoder.bceRelative, 3)}%).</p>` : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>edgevae parity: ${esc(r.model)}</title>
<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}img{image-rendering:pixelated;display:block}.bad{color:#b00}.ok{color:#070}</style></head><body>
<h1>Parity: ${esc(r.model)} (${esc(r.quantization)})</h1>
<p>Reference: ${esc(r.reference)} (onnxruntime-node, float32). ${r.samples} latents N(0, I), seed ${r.seed}.
Verdict: <b class="${r.pass ? 'ok' : 'bad'}">${r.pass ? 'PASS' : 'FAIL'}</b> (mean PSNR ${fmt(r.outputs[0]?.psnr?.mean, 2)} dB, required ${r.minPsnr} dB).</p>
${extra}
<h2>Per output</h2><table><tr><th>output</th><th>samples</th><th>max |err|</th><th>RMSE</th><th>PSNR mean</th><th>PSNR worst</th><th>SSIM mean</th><th>SSIM worst</th></tr>
${outputs}</table>
<h2>Per layer (each layer quantized alone, rest float)</h2><table><tr><th>entry</th><th>op</th><th>layer</th><th>scheme</th><th>PSNR vs float</th></tr>
${layers || '<tr><td colspan="5">not measured (float model or no quantizable layers)</td></tr>'}</table>
<h2>Worst samples first</h2><p>reference | model | |difference| (white = ${fmt(range)})</p>
<table><tr><th>sample</th><th>PSNR</th><th>SSIM</th><th>max |err|</th><th>reference</th><th>model</th><th>difference</th></tr>
${rows}</table></body></html>
`;
}
