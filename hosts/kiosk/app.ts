// Offline kiosk: a grid of decoded samples, sliders over the selected sample's latent vector, an
// interpolation animation and a float/int8 switch. Runs the edgevae wasm runtime in the page; it
// only ever loads its own files (or data embedded in standalone.html).
import { EdgeVae } from '../../runtime/index.js';
import { chooseBuild } from '../../runtime/simd-select.js';
import { imageGrid } from '../../runtime/image-grid.js';
import type { RasterImage } from '../../runtime/png.js';
import { imageShapeOf } from './image-shape.js';
import { readModel } from '../../runtime/format.js';
import { SequenceVae } from '../../runtime/sequence.js';
import { startSequence } from './sequence-view.js';

const GRID_COUNT = 16;
const SLIDER_LIMIT = 3; // latent values beyond +-3 sd are rare for a N(0,1) prior
const MAX_SLIDERS = 64;
const MORPH_STEPS = 41; // latents on the interpolation path, end points included

interface Assets {
  wasm: Uint8Array;
  /** the relaxed-SIMD runtime, when the kiosk ships it */
  wasmRelaxed?: Uint8Array;
  models: Map<string, Uint8Array>; // "float" and optionally "int8"
}

interface State {
  vae: EdgeVae;
  latent: number;
  shape: [number, number, number];
  z: Float32Array; // GRID_COUNT latent vectors
  selected: number;
  morphTimer: number;
}

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`kiosk: element #${id} is missing from the page`);
  return el as T;
};

function status(text: string): void {
  $('status').textContent = text;
}

function fromBase64(text: string): Uint8Array {
  const bin = atob(text.trim());
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** standalone.html carries the files as base64 in <script type="application/octet-stream"> blocks. */
function embedded(id: string): Uint8Array | undefined {
  const el = document.getElementById(id);
  return el && el.textContent ? fromBase64(el.textContent) : undefined;
}

async function fetchBytes(name: string, optional: boolean): Promise<Uint8Array | undefined> {
  const res = await fetch(name, { cache: 'no-cache' });
  if (!res.ok) {
    if (optional) return undefined;
    throw new Error(`could not load ${name}: HTTP ${res.status}`);
  }
  return new Uint8Array(await res.arrayBuffer());
}

function pickFiles(): Promise<Assets> {
  $('picker').classList.add('shown');
  status('choose edgevae.wasm and a .evae model');
  const read = (id: string) => new Promise<Uint8Array>((resolve) => {
    $<HTMLInputElement>(id).addEventListener('change', async (ev) => {
      const file = (ev.target as HTMLInputElement).files?.[0];
      if (file) resolve(new Uint8Array(await file.arrayBuffer()));
    });
  });
  return Promise.all([read('pick-wasm'), read('pick-model')]).then(([wasm, model]) => {
    $('picker').classList.remove('shown');
    return { wasm, models: new Map([['float', model]]) };
  });
}

async function loadAssets(): Promise<Assets> {
  const wasm = embedded('edgevae-wasm');
  if (wasm) {
    const models = new Map<string, Uint8Array>();
    for (const [key, id] of [['float', 'edgevae-model'], ['int8', 'edgevae-model-int8']]) {
      const bytes = embedded(id);
      if (bytes) models.set(key, bytes);
    }
    return { wasm, models, wasmRelaxed: embedded('edgevae-wasm-relaxed') };
  }
  if (location.protocol === 'file:') return pickFiles();
  // kiosk.json (written by `edgevae serve` and by build:kiosk) says which models exist, so the page
  // never asks for a file that is not there.
  const manifest = await fetchBytes('kiosk.json', true);
  const listed: Record<string, string> = manifest ? JSON.parse(new TextDecoder().decode(manifest)).models : { float: 'model.evae' };
  const entries = Object.entries(listed).filter(([key]) => key === 'float' || key === 'int8');
  if (entries.length === 0) throw new Error('kiosk.json lists no model');
  const [runtime, relaxed, ...models] = await Promise.all([
    fetchBytes('edgevae.wasm', false), fetchBytes('edgevae-relaxed.wasm', true), ...entries.map(([, file]) => fetchBytes(file, false)),
  ]);
  return { wasm: runtime!, wasmRelaxed: relaxed, models: new Map(entries.map(([key], i) => [key, models[i]!])) };
}

/** Paints an 8-bit raster 1:1 into the canvas (CSS scales it up). */
function paint(canvas: HTMLCanvasElement, raster: RasterImage): void {
  canvas.width = raster.width;
  canvas.height = raster.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('kiosk: 2D canvas is not available');
  const img = ctx.createImageData(raster.width, raster.height);
  const src = raster.data;
  const c = raster.channels;
  for (let i = 0, p = 0; p < raster.width * raster.height; p++, i += 4) {
    img.data[i] = src[p * c];
    img.data[i + 1] = src[p * c + (c === 3 ? 1 : 0)];
    img.data[i + 2] = src[p * c + (c === 3 ? 2 : 0)];
    img.data[i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

function decode(s: State, z: Float32Array, n: number): Float32Array {
  return s.vae.decode(z, n);
}

function drawGrid(s: State): void {
  const images = decode(s, s.z, GRID_COUNT);
  paint($('grid'), imageGrid(images, GRID_COUNT, s.shape));
}

let gridPending = false;

/** Redraws the 16-sample grid at most once per frame while a slider is being dragged. */
function scheduleGrid(s: State): void {
  if (gridPending) return;
  gridPending = true;
  requestAnimationFrame(() => {
    gridPending = false;
    drawGrid(s);
  });
}

function drawSelected(s: State): void {
  const z = s.z.subarray(s.selected * s.latent, (s.selected + 1) * s.latent);
  paint($('selected'), imageGrid(decode(s, z.slice(), 1), 1, s.shape));
}

/** Each slider's "show the selected sample's value" function. */
const sliderSyncs: Array<() => void> = [];

function buildSliders(s: State): void {
  const box = $('sliders');
  box.textContent = '';
  sliderSyncs.length = 0;
  const shown = Math.min(s.latent, MAX_SLIDERS);
  for (let d = 0; d < shown; d++) {
    const label = document.createElement('span');
    label.textContent = `z${d}`;
    const slider = document.createElement('input');
    slider.type = 'range';
    slider.min = String(-SLIDER_LIMIT);
    slider.max = String(SLIDER_LIMIT);
    slider.step = '0.01';
    slider.id = `z${d}`;
    const value = document.createElement('span');
    const sync = () => {
      slider.value = String(s.z[s.selected * s.latent + d]);
      value.textContent = Number(slider.value).toFixed(2);
    };
    slider.addEventListener('input', () => {
      s.z[s.selected * s.latent + d] = Number(slider.value);
      value.textContent = Number(slider.value).toFixed(2);
      drawSelected(s);
      drawMorphStill(s);
      scheduleGrid(s);
    });
    sliderSyncs.push(sync);
    sync();
    box.append(label, slider, value);
  }
}

function syncSliders(): void {
  for (const sync of sliderSyncs) sync();
}

function resample(s: State): void {
  const seed = Number($<HTMLInputElement>('seed').value);
  const temperature = Number($<HTMLInputElement>('temperature').value);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    status(`seed must be an integer 0..4294967295, got "${$<HTMLInputElement>('seed').value}"`);
    return;
  }
  s.z = s.vae.sampleLatents(GRID_COUNT, { seed, temperature });
  drawGrid(s);
  drawSelected(s);
  drawMorphStill(s);
  syncSliders();
  $('grid').dataset.seed = String(seed);
  status(`seed ${seed}, temperature ${temperature}: ${GRID_COUNT} samples of a ${s.latent}-d latent space (${s.vae.info.quantization})`);
}

/** The slerp path (like `edgevae interpolate`) from the selected sample to the next one. */
function morphPath(s: State): { path: Float32Array; next: number } {
  const L = s.latent;
  const next = (s.selected + 1) % GRID_COUNT;
  const a = s.z.slice(s.selected * L, (s.selected + 1) * L);
  const b = s.z.slice(next * L, (next + 1) * L);
  return { path: s.vae.interpolate(a, b, MORPH_STEPS, 'slerp'), next };
}

/** Draws latent k of the path into the interpolation panel. */
function drawMorphStep(s: State, path: Float32Array, k: number, next: number): void {
  const L = s.latent;
  const canvas = $<HTMLCanvasElement>('morph');
  paint(canvas, imageGrid(decode(s, path.slice(k * L, (k + 1) * L), 1), 1, s.shape));
  canvas.dataset.step = String(k); // which latent of the path is on screen (tests recompute it)
  canvas.dataset.steps = String(MORPH_STEPS);
  $('morph-caption').textContent = `#${s.selected} → #${next}  ${k}/${MORPH_STEPS - 1}`;
}

/** The panel is never black: it shows the half-way point until Interpolate plays the whole path. */
function drawMorphStill(s: State): void {
  cancelAnimationFrame(s.morphTimer);
  const { path, next } = morphPath(s);
  drawMorphStep(s, path, (MORPH_STEPS - 1) >> 1, next);
}

/** Ping-pong morph from the selected sample to the next one. */
function animate(s: State): void {
  cancelAnimationFrame(s.morphTimer);
  const { path, next } = morphPath(s);
  const canvas = $<HTMLCanvasElement>('morph');
  let frame = 0;
  const step = () => {
    const phase = frame % (2 * (MORPH_STEPS - 1));
    const k = phase < MORPH_STEPS ? phase : 2 * (MORPH_STEPS - 1) - phase;
    drawMorphStep(s, path, k, next);
    canvas.dataset.frames = String(++frame);
    if (frame < 4 * (MORPH_STEPS - 1)) s.morphTimer = requestAnimationFrame(step);
  };
  step();
}

async function start(): Promise<void> {
  const assets = await loadAssets();
  const vaes = new Map<string, EdgeVae>();
  // the relaxed build when this browser runs it correctly (feature detection, then a known-answer probe), compiled once
  const relaxed = chooseBuild('auto', assets.wasmRelaxed !== undefined).build === 'relaxed';
  const wasm = await WebAssembly.compile((relaxed ? assets.wasmRelaxed! : assets.wasm) as BufferSource);
  const modules = relaxed ? { wasm: assets.wasm, wasmRelaxed: wasm } : { wasm };
  const isSequence = (bytes: Uint8Array) => readModel(bytes, { skipChecksum: true }).entries.some((e) => e.kind === 'seq-step');
  if ([...assets.models.values()].every(isSequence)) {
    const seqs = new Map<string, SequenceVae>();
    for (const [key, bytes] of assets.models) seqs.set(key, await SequenceVae.load(bytes, { wasm, maxBatch: GRID_COUNT }));
    startSequence(seqs, status);
    document.body.dataset.state = 'ready';
    return;
  }
  for (const [key, bytes] of assets.models) vaes.set(key, await EdgeVae.load(bytes, { ...modules, maxBatch: GRID_COUNT }));
  document.body.dataset.simd = vaes.values().next().value!.info.runtime.build;
  const first = vaes.get('float') ?? vaes.values().next().value!;
  const latent = first.info.latentSize;
  const s: State = {
    vae: first,
    latent,
    shape: imageShapeOf(first.info.outputShape ?? []),
    z: new Float32Array(GRID_COUNT * latent),
    selected: 0,
    morphTimer: 0,
  };
  if (vaes.size > 1) {
    $('variant-label').hidden = false;
    $<HTMLSelectElement>('variant').addEventListener('change', (ev) => {
      // The two models may differ in latent size: start over from the seed with the new one.
      cancelAnimationFrame(s.morphTimer);
      s.vae = vaes.get((ev.target as HTMLSelectElement).value) ?? first;
      s.latent = s.vae.info.latentSize;
      s.shape = imageShapeOf(s.vae.info.outputShape ?? []);
      s.selected = 0;
      buildSliders(s);
      resample(s);
    });
  }
  buildSliders(s);
  $('resample').addEventListener('click', () => resample(s));
  $('seed').addEventListener('change', () => resample(s));
  const showTemperature = () => {
    $('temperature-value').textContent = Number($<HTMLInputElement>('temperature').value).toFixed(2);
  };
  $('temperature').addEventListener('input', showTemperature);
  $('temperature').addEventListener('change', () => resample(s));
  showTemperature();
  $('animate').addEventListener('click', () => animate(s));
  $('grid').addEventListener('click', (ev) => {
    const canvas = ev.currentTarget as HTMLCanvasElement;
    const rect = canvas.getBoundingClientRect();
    const cols = Math.ceil(Math.sqrt(GRID_COUNT));
    const col = Math.min(cols - 1, Math.floor(((ev.clientX - rect.left) / rect.width) * cols));
    const row = Math.min(cols - 1, Math.floor(((ev.clientY - rect.top) / rect.height) * cols));
    s.selected = Math.min(GRID_COUNT - 1, row * cols + col);
    drawSelected(s);
    drawMorphStill(s);
    syncSliders();
  });
  resample(s);
  document.body.dataset.state = 'ready';
}

start().catch((err: unknown) => {
  document.body.dataset.state = 'error';
  status(`error: ${(err as Error).message}`);
  console.error(err);
});
