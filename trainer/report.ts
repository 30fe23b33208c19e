// Training report: report.html plus the same pictures as PNG files —
//   loss.png            train/test negative ELBO per epoch (the HTML has the labelled SVG version)
//   reconstructions.png originals (top row) above their reconstructions decode(mu)
//   samples.png         decode(z) for z ~ N(0, I)
//   interpolation.png   decode of the straight line between the codes of two test images
//   latent.png          (2-D latents only) test codes coloured by class label
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { imageGrid } from '../runtime/image-grid.js';
import { encodePng, type RasterImage } from '../runtime/png.js';
import type { Dataset } from '../data/datasets.js';
import type { VaeModel } from './models.js';
import { plotRaster, plotSvg, type Series } from './plot.js';
import { Rng } from '../reference/random.js';
import { plural } from './plural.js';
import type { EpochRecord, ResumePoint, TrainSettings } from './train.js';

export interface ReportInput {
  model: VaeModel;
  data: Dataset;
  history: EpochRecord[];
  settings: TrainSettings;
  /** Another model on the same data (e.g. the plain autoencoder) whose 2-D latent map goes beside this one's. */
  companion?: { label: string; model: VaeModel };
  /** where the run was stopped and continued with --resume */
  resumes?: ResumePoint[];
}


/** One sentence on how often and where the run was resumed (empty when it ran in one go). */
export function resumeSentence(resumes: ResumePoint[] = []): string {
  if (resumes.length === 0) return '';
  const where = resumes.map((r) => r.batchInEpoch > 0 ? `in epoch ${r.epoch + 1} after batch ${r.batchInEpoch} (step ${r.step})` : `after epoch ${r.epoch} (step ${r.step})`);
  return `This run was stopped and resumed from its checkpoint ${resumes.length === 1 ? 'once' : `${resumes.length} times`}: ${where.join('; ')}.`;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const RECON_COUNT = 10;
const SAMPLE_COUNT = 64;
const INTERP_STEPS = 10;
const LATENT_POINTS = 2000;

function png(image: RasterImage): Uint8Array {
  return encodePng(image, (raw) => deflateSync(raw));
}

/** [N,H,W,C] floats -> N images in flat CHW order (what imageGrid expects). */
function toChw(nhwc: Float32Array, n: number, [h, w, c]: [number, number, number]): Float32Array {
  if (c === 1) return nhwc;
  const out = new Float32Array(nhwc.length);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) {
    out[((b * c + ch) * h + y) * w + x] = nhwc[((b * h + y) * w + x) * c + ch];
  }
  return out;
}

async function decodeCodes(model: VaeModel, codes: Float32Array, n: number): Promise<Float32Array> {
  const img = model.decode(tf.tensor2d(codes, [n, model.config.latent]));
  const out = (await img.data()) as Float32Array;
  img.dispose();
  return out;
}

async function encodeMeans(model: VaeModel, images: Float32Array, n: number, shape: [number, number, number]): Promise<Float32Array> {
  const mu = tf.tidy(() => model.encode(tf.tensor4d(images, [n, ...shape])).mu);
  const out = (await mu.data()) as Float32Array;
  mu.dispose();
  return out;
}

function scatterRaster(points: Float32Array, labels: Uint8Array | null, size = 400): RasterImage {
  const n = points.length / 2;
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    x0 = Math.min(x0, points[2 * i]);
    x1 = Math.max(x1, points[2 * i]);
    y0 = Math.min(y0, points[2 * i + 1]);
    y1 = Math.max(y1, points[2 * i + 1]);
  }
  const sx = (size - 10) / Math.max(x1 - x0, 1e-6);
  const sy = (size - 10) / Math.max(y1 - y0, 1e-6);
  const data = new Uint8Array(size * size * 3).fill(255);
  for (let i = 0; i < n; i++) {
    const hex = parseInt(PALETTE[(labels?.[i] ?? 0) % PALETTE.length].slice(1), 16);
    const c = [(hex >> 16) & 255, (hex >> 8) & 255, hex & 255];
    const cx = Math.round(5 + (points[2 * i] - x0) * sx);
    const cy = Math.round(size - 5 - (points[2 * i + 1] - y0) * sy);
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      const x = cx + dx;
      const y = cy + dy;
      if (x >= 0 && y >= 0 && x < size && y < size) data.set(c, (y * size + x) * 3);
    }
  }
  return { width: size, height: size, channels: 3, data };
}

/** Two test images of different classes when labels exist (a more telling interpolation). */
function interpolationPair(data: Dataset): [number, number] {
  const labels = data.test.labels;
  if (labels) for (let j = 1; j < data.test.count; j++) if (labels[j] !== labels[0]) return [0, j];
  return [0, Math.min(1, data.test.count - 1)];
}

export async function writeReport(input: ReportInput, dir: string): Promise<string[]> {
  const { model, data, history, settings } = input;
  const shape = data.shape;
  const [H, W, C] = shape;
  const per = H * W * C;
  const L = model.config.latent;
  const gridOpts = { gap: 1, gapValue: 1 };
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const save = (name: string, image: RasterImage) => {
    const path = join(dir, name);
    writeFileSync(path, png(image));
    files.push(path);
  };

  const series: Series[] = [
    { name: 'train -ELBO', color: '#1f77b4', values: history.map((r) => r.train.total) },
    { name: 'test -ELBO', color: '#d62728', values: history.map((r) => r.test.total) },
  ];
  save('loss.png', plotRaster(series));

  const nRec = Math.min(RECON_COUNT, data.test.count);
  const originals = data.test.images.subarray(0, nRec * per);
  const recon = await decodeCodes(model, await encodeMeans(model, originals, nRec, shape), nRec);
  const both = new Float32Array(2 * nRec * per);
  both.set(toChw(originals, nRec, shape), 0);
  both.set(toChw(recon, nRec, shape), nRec * per);
  save('reconstructions.png', imageGrid(both, 2 * nRec, [C, H, W], { ...gridOpts, columns: nRec }));

  const z = new Rng(settings.seed + 101).fillNormal(new Float32Array(SAMPLE_COUNT * L));
  save('samples.png', imageGrid(toChw(await decodeCodes(model, z, SAMPLE_COUNT), SAMPLE_COUNT, shape), SAMPLE_COUNT, [C, H, W], { ...gridOpts, columns: 8 }));

  const [a, b] = interpolationPair(data);
  const pair = new Float32Array(2 * per);
  pair.set(data.test.images.subarray(a * per, (a + 1) * per), 0);
  pair.set(data.test.images.subarray(b * per, (b + 1) * per), per);
  const ends = await encodeMeans(model, pair, 2, shape);
  const line = new Float32Array(INTERP_STEPS * L);
  for (let s = 0; s < INTERP_STEPS; s++) {
    const t = s / (INTERP_STEPS - 1);
    for (let k = 0; k < L; k++) line[s * L + k] = (1 - t) * ends[k] + t * ends[L + k];
  }
  save('interpolation.png', imageGrid(toChw(await decodeCodes(model, line, INTERP_STEPS), INTERP_STEPS, shape), INTERP_STEPS, [C, H, W], { ...gridOpts, columns: INTERP_STEPS }));

  let latentHtml = '';
  if (L === 2) {
    const n = Math.min(LATENT_POINTS, data.test.count);
    const mu = await encodeMeans(model, data.test.images.subarray(0, n * per), n, shape);
    const labels = data.test.labels?.subarray(0, n) ?? null;
    save('latent.png', scatterRaster(mu, labels));
    const legend = (data.classNames ?? []).map((name, i) => `<span style="color:${PALETTE[i % PALETTE.length]}">&#9632; ${esc(name)}</span>`).join(' ');
    const own = model.config.autoencoder ? 'autoencoder' : 'VAE';
    let beside = '';
    const other = input.companion;
    if (other && other.model.config.latent === 2) {
      const muOther = await encodeMeans(other.model, data.test.images.subarray(0, n * per), n, shape);
      save('latent-companion.png', scatterRaster(muOther, labels));
      beside = `<figure style="display:inline-block"><img src="latent-companion.png" alt="latent map ${esc(other.label)}"><figcaption>${esc(other.label)}</figcaption></figure>`;
    }
    latentHtml = `<h2>Latent space (test codes mu, ${n} images)</h2>` +
      `<figure style="display:inline-block"><img src="latent.png" alt="latent map"><figcaption>${own} (this run)</figcaption></figure>${beside}<p>${legend}</p>`;
  }

  const cfg = model.config;
  const last = history[history.length - 1];
  const row = (r: EpochRecord) =>
    `<tr><td>${r.epoch}</td><td>${r.train.total.toFixed(2)}</td><td>${r.train.recon.toFixed(2)}</td><td>${r.train.kl.toFixed(2)}</td>` +
    `<td>${r.test.total.toFixed(2)}</td><td>${r.test.recon.toFixed(2)}</td><td>${r.test.kl.toFixed(2)}</td><td>${r.beta.toFixed(3)}</td><td>${r.seconds.toFixed(1)}</td><td>${r.imagesPerSecond.toFixed(0)}</td></tr>`;
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>edgevae training report</title>
<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}img{image-rendering:pixelated;border:1px solid #ddd;max-width:100%}</style>
</head><body>
<h1>edgevae training report</h1>
<p>Model: <b>${cfg.kind} ${cfg.autoencoder ? 'autoencoder' : 'VAE'}</b>, input ${H}x${W}x${C}, widths [${cfg.widths.join(', ')}], latent ${L}, ${model.parameterCount()} parameters.
Data: ${esc(data.name)} (${data.train.count} train / ${data.test.count} test images).
Training: ${plural(history.length, 'epoch')}, batch ${settings.batchSize}, Adam lr ${settings.lr}, beta ${settings.beta}, KL warm-up ${plural(settings.klWarmupEpochs, 'epoch')}, ${settings.recon} reconstruction, seed ${settings.seed}.
${esc(resumeSentence(input.resumes))}</p>
${last ? `<p>Final test loss: <b>${last.test.total.toFixed(2)} nats</b> per image (reconstruction ${last.test.recon.toFixed(2)}, KL ${last.test.kl.toFixed(2)}).</p>` : ''}
<h2>Loss (negative ELBO, nats per image)</h2>
${plotSvg(series, 'epoch', 'nats per image')}
<table><tr><th>epoch</th><th>train</th><th>recon</th><th>KL</th><th>test</th><th>recon</th><th>KL</th><th>beta</th><th>s</th><th>img/s</th></tr>
${history.map(row).join('\n')}
</table>
<h2>Reconstructions</h2><p>Top: test images; bottom: decode(mu(x)).</p><img src="reconstructions.png" alt="reconstructions" width="${10 * (W + 1) * 3}">
<h2>Samples from N(0, I)</h2><img src="samples.png" alt="samples" width="${8 * (W + 1) * 3}">
<h2>Interpolation</h2><p>Codes on the straight line from test image ${a} to test image ${b}.</p><img src="interpolation.png" alt="interpolation" width="${INTERP_STEPS * (W + 1) * 3}">
${latentHtml}
</body></html>
`;
  const htmlPath = join(dir, 'report.html');
  writeFileSync(htmlPath, html);
  files.push(htmlPath);
  return files;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
