// The training page (`edgevae train-ui`, build/train-ui): images from a folder, a zip or the bundled
// Fashion-MNIST sample; the trainer's own loop (train-loop.ts) on WebGPU when the browser has it, else
// tfjs wasm (MLP) or cpu (conv); per-epoch loss plot, samples, interpolation; at the end encoder.onnx,
// decoder.onnx and .evae files (f32, int8) made by the converter in the page. No request leaves the origin.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { convert } from '../../converter/index.js';
import { quantizeModel } from '../../converter/quantize/index.js';
import { EdgeVae } from '../../runtime/index.js';
import type { Dataset } from '../../data/datasets.js';
import { buildOnnx } from '../export-onnx.js';
import { defaultConfig, type ModelKind } from '../models.js';
import { plotSvg } from '../plot.js';
import { Rng } from '../../reference/random.js';
import { DEFAULT_SETTINGS, Trainer, type EpochRecord } from '../train-loop.js';
import { describeAdapter } from '../webgpu/adapter.js';
import { registerWebGpuBackend } from '../webgpu/register-webgpu.js';
import { decodeImages, imagesToDataset, splitDataset, type NamedBytes } from './image-files.js';
import { setRuntimeWasm } from './runtime-wasm.browser.js';
import { readZip } from './zip-reader.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (text: string) => {
  $('status').textContent = text;
};

/** What the page exposes for tests and curious users. */
const page = {
  state: 'idle' as 'idle' | 'loading' | 'ready' | 'training' | 'exporting' | 'done' | 'error',
  backend: '',
  history: [] as EpochRecord[],
  files: {} as Record<string, Uint8Array>,
  /** the f32 .evae's samples (seed 1) from the wasm runtime, NCHW floats */
  runtimeSamples: null as Float32Array | null,
  /** epochs done at each redraw of the charts (one redraw per epoch while training) */
  drawnAfter: [] as number[],
  error: '',
};
(globalThis as unknown as { edgevaeTrainUi: typeof page }).edgevaeTrainUi = page;

let data: Dataset | null = null;
let stopRequested = false;

function setState(s: typeof page.state): void {
  page.state = s;
  document.body.dataset.state = s;
}

function fail(e: unknown): void {
  page.error = (e as Error).message;
  status(`error: ${page.error}`);
  setState('error');
  $<HTMLButtonElement>('train').disabled = data === null;
}

function useData(d: Dataset): void {
  data = d;
  $('data-info').textContent = `${d.name}: ${d.train.count} train / ${d.test.count} test images, ${d.shape[0]}x${d.shape[1]}x${d.shape[2]}`;
  $<HTMLButtonElement>('train').disabled = false;
  setState('ready');
}

async function loadFiles(files: NamedBytes[], name: string): Promise<void> {
  setState('loading');
  status(`decoding ${files.length} files`);
  const { width, height, rgba } = await decodeImages(files);
  useData(imagesToDataset(name, width, height, rgba));
  status('');
}

$<HTMLInputElement>('folder').addEventListener('change', async (ev) => {
  try {
    const list = Array.from((ev.target as HTMLInputElement).files ?? []);
    await loadFiles(
      await Promise.all(
        list.map(async (f) => ({ name: f.webkitRelativePath || f.name, bytes: new Uint8Array(await f.arrayBuffer()) }))), 'folder');
  } catch (e) {
    fail(e);
  }
});

$<HTMLInputElement>('zip').addEventListener('change', async (ev) => {
  try {
    const file = (ev.target as HTMLInputElement).files?.[0];
    if (!file) return;
    const entries = readZip(new Uint8Array(await file.arrayBuffer())).filter((e) => /\.png$/i.test(e.name));
    await loadFiles(await Promise.all(entries.map(async (e) => ({ name: e.name, bytes: await e.bytes() }))), file.name);
  } catch (e) {
    fail(e);
  }
});

$('sample').addEventListener('click', async () => {
  try {
    setState('loading');
    const res = await fetch('fashion-mnist-sample.bin');
    if (!res.ok) throw new Error('this build has no Fashion-MNIST sample (it was built without /usr/share/datasets/fashion-mnist)');
    const bytes = new Uint8Array(await res.arrayBuffer());
    const count = bytes.length / 784;
    const all = Float32Array.from(bytes, (b) => b / 255);
    useData(splitDataset('fashion-mnist sample', [28, 28, 1], all, count));
  } catch (e) {
    fail(e);
  }
});

$('stop').addEventListener('click', () => {
  stopRequested = true;
});

/** WebGPU when the browser has it (or ?backend= forces one); else wasm for an MLP, cpu for a conv model. */
async function chooseBackend(kind: ModelKind): Promise<string> {
  const forced = new URLSearchParams(location.search).get('backend');
  if (!forced || forced === 'webgpu') {
    try {
      const adapter = await registerWebGpuBackend();
      if (await tf.setBackend('webgpu')) return `WebGPU on ${describeAdapter(adapter)}`;
    } catch (e) {
      if (forced) throw e;
    }
  }
  // Our SIMD training kernels load through Node worker threads and are not registered in the browser;
  // tfjs-backend-wasm alone has no Conv2DBackpropFilter, so a conv model trains on tfjs cpu.
  const name = forced === 'cpu' || forced === 'wasm' ? forced : kind === 'mlp' ? 'wasm' : 'cpu';
  if (name === 'wasm') setWasmPaths(new URL('./', location.href).href);
  if (!(await tf.setBackend(name))) throw new Error(`the ${name} backend failed to start`);
  const why = kind === 'conv' && name === 'cpu'
    ? ' (no WebGPU; tfjs wasm cannot train conv layers without our Node-only kernels)' : ' (no WebGPU)';
  return `tfjs ${name}${forced ? '' : why}`;
}

/** NHWC floats in [0, 1] -> a grid on a canvas, `scale` screen pixels per image pixel. */
function drawGrid(canvas: HTMLCanvasElement, images: Float32Array, count: number, [H, W, C]: number[], columns: number, scale = 2): void {
  const rows = Math.ceil(count / columns);
  canvas.width = columns * W;
  canvas.height = rows * H;
  canvas.style.width = `${canvas.width * scale}px`;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(canvas.width, canvas.height);
  for (let n = 0; n < count; n++) {
    const ox = (n % columns) * W;
    const oy = Math.floor(n / columns) * H;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const o = 4 * ((oy + y) * canvas.width + ox + x);
        for (let k = 0; k < 3; k++) img.data[o + k] = Math.round(255 * images[((n * H + y) * W + x) * C + (C === 3 ? k : 0)]);
        img.data[o + 3] = 255;
      }
    }
  }
  ctx.putImageData(img, 0, 0);
}

async function drawEpoch(trainer: Trainer): Promise<void> {
  const h = trainer.history;
  page.drawnAfter.push(h.length);
  $('loss').innerHTML = plotSvg([
    { name: 'train', color: '#1f77b4', values: h.map((r) => r.train.total) },
    { name: 'test', color: '#d62728', values: h.map((r) => r.test.total) },
  ], 'epoch', 'negative ELBO (nats per image)');
  const L = trainer.model.config.latent;
  const z = new Rng(1).fillNormal(new Float32Array(16 * L));
  const ends = new Rng(2).fillNormal(new Float32Array(2 * L));
  const path = new Float32Array(8 * L);
  for (let i = 0; i < 8; i++) for (let j = 0; j < L; j++) path[i * L + j] = ends[j] + (ends[L + j] - ends[j]) * (i / 7);
  const shape = trainer.model.config.inputShape;
  const decode = async (zs: Float32Array, n: number) => {
    const t = trainer.model.decode(tf.tensor2d(zs, [n, L]));
    const out = (await t.data()) as Float32Array;
    t.dispose();
    return out;
  };
  drawGrid($('samples'), await decode(z, 16), 16, shape, 8);
  drawGrid($('interpolation'), await decode(path, 8), 8, shape, 8);
}

function offer(name: string, bytes: Uint8Array): void {
  page.files[name] = bytes;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([new Uint8Array(bytes)]));
  a.download = name;
  a.id = `download-${name.replace(/\W/g, '-')}`;
  a.textContent = `${name} (${(bytes.length / 1024).toFixed(1)} KB)`;
  $('downloads').append(a);
}

async function exportFiles(trainer: Trainer): Promise<void> {
  setState('exporting');
  $('downloads').textContent = '';
  const config = trainer.model.config;
  const { encoder, decoder } = buildOnnx(config, await trainer.model.weights());
  offer('encoder.onnx', encoder);
  offer('decoder.onnx', decoder);
  status('converting to .evae (f32)');
  const wasm = new Uint8Array(await (await fetch('edgevae.wasm')).arrayBuffer());
  setRuntimeWasm(wasm);
  const f32 = await convert({ encoder, decoder, name: 'trained in the browser' });
  offer('model.evae', f32.bytes);
  // int8 calibration: up to 256 training images in ONNX order (NCHW).
  status('quantizing to int8 (calibrating on the training images)');
  const [H, W, C] = config.inputShape;
  const per = H * W * C;
  const images: Float32Array[] = [];
  for (let n = 0; n < Math.min(256, data!.train.count); n++) {
    const chw = new Float32Array(per);
    for (let p = 0; p < H * W; p++) for (let c = 0; c < C; c++) chw[c * H * W + p] = data!.train.images[n * per + p * C + c];
    images.push(chw);
  }
  const int8 = await quantizeModel(f32.bytes, { mode: 'int8', images, imageSource: 'training images (browser)' });
  offer('model-int8.evae', int8.bytes);
  const vae = await EdgeVae.load(f32.bytes, { wasm });
  const { images: samples } = vae.sample(8, { seed: 1 });
  page.runtimeSamples = samples;
  const nhwc = new Float32Array(samples.length);
  for (let n = 0; n < 8; n++) for (let c = 0; c < C; c++) for (let p = 0; p < H * W; p++) nhwc[n * per + p * C + c] =
    samples[n * per + c * H * W + p];
  drawGrid($('runtime'), nhwc, 8, [H, W, C], 8);
}

$('train').addEventListener('click', async () => {
  if (!data) return;
  const d = data;
  try {
    setState('training');
    page.drawnAfter = [];
    stopRequested = false;
    $<HTMLButtonElement>('train').disabled = true;
    $<HTMLButtonElement>('stop').disabled = false;
    const kind = $<HTMLSelectElement>('kind').value as ModelKind;
    page.backend = await chooseBackend(kind);
    $('backend').textContent = `backend: ${page.backend}`;
    const config = defaultConfig(kind, d.shape, Number($<HTMLInputElement>('latent').value));
    const settings =
      { ...DEFAULT_SETTINGS, epochs: Number($<HTMLInputElement>('epochs').value),
        batchSize: Math.min(Number($<HTMLInputElement>('batch').value), d.train.count) };
    const trainer = Trainer.create(config, settings, d);
    status(`training ${config.kind} VAE, latent ${config.latent}, ${trainer.model.parameterCount()} parameters`);
    const { interrupted } = await trainer.run({
      progress: { update: (_done, _total, extra) => status(extra), line: (text) => status(text) },
      shouldStop: () => stopRequested,
      // the loss plot, samples and interpolation are redrawn after every epoch, while training goes on
      onEpoch: async () => {
        page.history = [...trainer.history];
        await drawEpoch(trainer);
      },
    });
    if (interrupted || trainer.history.length === 0) await drawEpoch(trainer);
    await exportFiles(trainer);
    trainer.dispose();
    status(`done: ${trainer.history.length} epochs, final test loss ${trainer.history.at(-1)?.test.total.toFixed(2) ?? '?'} nats`);
    setState('done');
  } catch (e) {
    fail(e);
  } finally {
    $<HTMLButtonElement>('stop').disabled = true;
    $<HTMLButtonElement>('train').disabled = false;
  }
});

setState('idle');
