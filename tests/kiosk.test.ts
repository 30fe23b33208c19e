// The offline kiosk page in a real headless Chromium: served by `edgevae serve` on 127.0.0.1 with every
// request to any other host blocked, and opened from disk (file://). The canvas pixels must equal what
// the Node runtime computes for the same model and seed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convert } from '../converter/index.js';
import { EdgeVae, imageGrid } from '../runtime/index.js';
import { buildKiosk, SIZE_BUDGET, type KioskBuildResult } from '../hosts/kiosk/build.js';
import { startServe } from '../hosts/node/serve.js';
import { allowOnlyOrigin, collectPageErrors, expectFitsKioskScreen, launchChromium, requireChromium } from './helpers/browser.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(ROOT, 'tests', 'fixtures');
const GRID = 16;
const HAVE_CHROMIUM = requireChromium('tests/kiosk.test.ts');

let work: string;
let kiosk: KioskBuildResult;
let server: Server;
let origin: string;
let browser: Browser;
let floatVae: EdgeVae;
let secondVae: EdgeVae;
let modelPaths: { float: string; second: string; wasm: string };

/** The grid as the Node runtime draws it, expanded to the canvas' RGBA. */
function expectedRgba(vae: EdgeVae, images: Float32Array, count: number): Uint8Array {
  const grid = imageGrid(images, count, vae.info.outputShape!);
  const rgba = new Uint8Array(grid.width * grid.height * 4);
  for (let p = 0; p < grid.width * grid.height; p++) {
    for (let c = 0; c < 3; c++) rgba[4 * p + c] = grid.data[p * grid.channels + (grid.channels === 3 ? c : 0)];
    rgba[4 * p + 3] = 255;
  }
  return rgba;
}

async function canvasPixels(page: Page, id: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  const r = await page.evaluate((canvasId) => {
    const c = document.getElementById(canvasId) as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
    return { width: c.width, height: c.height, data: Array.from(d.data) };
  }, id);
  return { ...r, data: Uint8Array.from(r.data) };
}

async function openKiosk(url: string, allowedOrigin: string | null): Promise<{ page: Page; blocked: string[]; errors: string[];
  requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 800, height: 480 } });
  const errors = collectPageErrors(page);
  const blocked = await allowOnlyOrigin(page, allowedOrigin);
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.state !== undefined, null, { timeout: 30_000 });
  return { page, blocked, errors, requests };
}

/** Opens the kiosk served by `edgevae serve`, runs `check` on the page and closes it. */
async function onKioskPage(check: (page: Page) => Promise<void>): Promise<void> {
  const { page } = await openKiosk(`${origin}/`, origin);
  try {
    await check(page);
  } finally {
    await page.close();
  }
}

async function setSeed(page: Page, seed: number): Promise<void> {
  await page.fill('#seed', String(seed));
  await page.dispatchEvent('#seed', 'change');
  await page.waitForFunction((s) => document.getElementById('grid')!.dataset.seed === String(s), seed);
}

/**
 * build/edgevae.wasm when it is the runtime (exports the docs/format.md host interface); otherwise, e.g.
 * while another build is rewriting it, a private build from assembly/ so page and reference still agree.
 */
function runtimeWasm(): string {
  const shared = join(ROOT, 'build', 'edgevae.wasm');
  const needed = ['memory', 'alloc', 'load', 'errorDetail', 'entryInput', 'entryOutput', 'run', 'sampleNormal'];
  if (existsSync(shared)) {
    const names = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(shared))).map((e) => e.name);
    if (needed.every((n) => names.includes(n))) return shared;
  }
  const own = join(work, 'edgevae.wasm');
  const r = spawnSync('npx', ['asc', 'assembly/index.ts', '--target', 'release', '--outFile', own, '--textFile', join(work, 'edgevae.wat')],
    { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the runtime module failed:\n${r.stderr}`);
  return own;
}

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  work = mkdtempSync(join(tmpdir(), 'edgevae-kiosk-'));
  const float = await convert({ encoder: join(FIXTURES, 'conv.encoder.op13.onnx'), decoder: join(FIXTURES, 'conv.decoder.op13.onnx') });
  // The second model slot ("int8" in the UI) holds another model, so the switch visibly changes the output.
  const second = await convert({ decoder: join(FIXTURES, 'mlp.decoder.op13.onnx') });
  modelPaths = { float: join(work, 'float.evae'), second: join(work, 'second.evae'), wasm: runtimeWasm() };
  writeFileSync(modelPaths.float, float.bytes);
  writeFileSync(modelPaths.second, second.bytes);
  kiosk = await buildKiosk({ outDir: join(work, 'kiosk'), model: modelPaths.float, modelInt8: modelPaths.second, wasm: modelPaths.wasm });
  const wasm = readFileSync(modelPaths.wasm);
  floatVae = await EdgeVae.load(float.bytes, { wasm, maxBatch: GRID });
  secondVae = await EdgeVae.load(second.bytes, { wasm, maxBatch: GRID });
  ({ server, url: origin } = await startServe({
    model: modelPaths.float, modelInt8: modelPaths.second, port: 0, host: '127.0.0.1', kioskDir: kiosk.outDir,
  }));
  origin = origin.replace(/\/$/, '');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!HAVE_CHROMIUM)('kiosk page in headless Chromium', () => {
  it('the page plus runtime fit the 64 KB gzip budget (without the model)', () => {
    console.log(
      `kiosk bundle: app.js ${kiosk.jsGzip} B + edgevae.wasm ${kiosk.wasmGzip} B + edgevae-relaxed.wasm ${kiosk.relaxedGzip} B gzip ` +
        `(budget ${SIZE_BUDGET} B)`);
    expect(kiosk.relaxedGzip).toBeGreaterThan(0);
    expect(kiosk.jsGzip + kiosk.wasmGzip + kiosk.relaxedGzip).toBeLessThan(SIZE_BUDGET);
  });

  it('loads offline from `edgevae serve` and draws exactly the Node runtime samples', async () => {
    const { page, blocked, errors, requests } = await openKiosk(`${origin}/`, origin);
    try {
      expect(errors).toEqual([]);
      expect(await page.evaluate(() => document.body.dataset.state)).toBe('ready');
      expect(blocked).toEqual([]);
      for (const url of requests) expect(url.startsWith(`${origin}/`), url).toBe(true);
      expect(new Set(requests.map((u) => u.slice(origin.length)))).toEqual(
        new Set(['/', '/app.js', '/kiosk.json', '/edgevae.wasm', '/edgevae-relaxed.wasm', '/model.evae', '/model-int8.evae']));
      // Chromium runs relaxed SIMD correctly, so the page picks that build; its f32 pixels still equal Node's fixed build's
      expect(await page.evaluate(() => document.body.dataset.simd)).toBe('relaxed');

      const seed = Number(await page.inputValue('#seed'));
      const grid = await canvasPixels(page, 'grid');
      const expected = expectedRgba(floatVae, floatVae.sample(GRID, { seed }).images, GRID);
      expect(grid.data.length).toBe(expected.length);
      expect(Buffer.from(grid.data).equals(Buffer.from(expected))).toBe(true);

      await setSeed(page, 12345);
      const again = await canvasPixels(page, 'grid');
      expect(Buffer.from(again.data).equals(
        Buffer.from(expectedRgba(floatVae, floatVae.sample(GRID, { seed: 12345 }).images, GRID)))).toBe(true);

      await expectFitsKioskScreen(page, 'kiosk.png');
    } finally {
      await page.close();
    }
  });

  it('moving a latent slider redraws the selected sample with the edited latent', () => onKioskPage(async (page) => {
    await setSeed(page, 7);
    const before = await canvasPixels(page, 'selected');
    const z = floatVae.sampleLatents(GRID, { seed: 7 }).slice(0, floatVae.info.latentSize);
    expect(Buffer.from(before.data).equals(Buffer.from(expectedRgba(floatVae, floatVae.decode(z, 1), 1)))).toBe(true);

    await page.evaluate(() => {
      const slider = document.getElementById('z0') as HTMLInputElement;
      slider.value = '2.5';
      slider.dispatchEvent(new Event('input', { bubbles: true }));
    });
    const after = await canvasPixels(page, 'selected');
    expect(Buffer.from(after.data).equals(Buffer.from(before.data))).toBe(false);
    z[0] = 2.5;
    expect(Buffer.from(after.data).equals(Buffer.from(expectedRgba(floatVae, floatVae.decode(z, 1), 1)))).toBe(true);
  }));

  it('the interpolation animation runs along the slerp path the Node runtime computes', () => onKioskPage(async (page) => {
    await setSeed(page, 7);
    await page.click('#animate');
    await page.waitForFunction(() => Number(document.getElementById('morph')!.dataset.frames) >= 12, null, { timeout: 20_000 });
    // Pixels and the step index are read in one evaluate, between two animation frames.
    const seen = await page.evaluate(() => {
      const c = document.getElementById('morph') as HTMLCanvasElement;
      return { step: Number(c.dataset.step), steps: Number(c.dataset.steps),
        data: Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data) };
    });
    expect(seen.step).toBeGreaterThan(0);
    const L = floatVae.info.latentSize;
    const z = floatVae.sampleLatents(GRID, { seed: 7 });
    const path = floatVae.interpolate(z.slice(0, L), z.slice(L, 2 * L), seen.steps, 'slerp');
    const expected = expectedRgba(floatVae, floatVae.decode(path.slice(seen.step * L, (seen.step + 1) * L), 1), 1);
    expect(Buffer.from(Uint8Array.from(seen.data)).equals(Buffer.from(expected))).toBe(true);
    const selected = await canvasPixels(page, 'selected');
    expect(Buffer.from(Uint8Array.from(seen.data)).equals(Buffer.from(selected.data))).toBe(false);
  }));

  it('the interpolation panel shows the half-way image on load; the temperature slider shows its value', () => onKioskPage(async (page) => {
    // Nothing pressed: the panel already holds the middle of the slerp path from sample 0 to sample 1.
    const seed = Number(await page.inputValue('#seed'));
    const shown = await page.evaluate(() => {
      const c = document.getElementById('morph') as HTMLCanvasElement;
      return { step: Number(c.dataset.step), steps: Number(c.dataset.steps), frames: c.dataset.frames,
        data: Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data) };
    });
    expect(shown.frames).toBeUndefined();
    expect(shown.step).toBe((shown.steps - 1) >> 1);
    const L = floatVae.info.latentSize;
    const z = floatVae.sampleLatents(GRID, { seed });
    const path = floatVae.interpolate(z.slice(0, L), z.slice(L, 2 * L), shown.steps, 'slerp');
    const expected = expectedRgba(floatVae, floatVae.decode(path.slice(shown.step * L, (shown.step + 1) * L), 1), 1);
    expect(Buffer.from(Uint8Array.from(shown.data)).equals(Buffer.from(expected))).toBe(true);
    expect(shown.data.some((v, i) => i % 4 !== 3 && v > 0)).toBe(true);

    expect(await page.textContent('#temperature-value')).toBe('1.00');
    await page.evaluate(() => {
      const slider = document.getElementById('temperature') as HTMLInputElement;
      slider.value = '0.35';
      slider.dispatchEvent(new Event('input', { bubbles: true }));
    });
    expect(await page.textContent('#temperature-value')).toBe('0.35');
  }));

  it('the float/int8 switch changes the model', () => onKioskPage(async (page) => {
    expect(await page.isVisible('#variant')).toBe(true);
    await setSeed(page, 3);
    await page.selectOption('#variant', 'int8');
    const grid = await canvasPixels(page, 'grid');
    const expected = expectedRgba(secondVae, secondVae.sample(GRID, { seed: 3 }).images, GRID);
    expect(Buffer.from(grid.data).equals(Buffer.from(expected))).toBe(true);
  }));

  it('with one model the switch is hidden and nothing missing is requested', async () => {
    const single = await startServe({ model: modelPaths.float, port: 0, host: '127.0.0.1', kioskDir: kiosk.outDir });
    const singleOrigin = single.url.replace(/\/$/, '');
    const { page, blocked, errors, requests } = await openKiosk(`${singleOrigin}/`, singleOrigin);
    const failed: string[] = [];
    page.on('response', (r) => { if (r.status() !== 200) failed.push(`${r.status()} ${r.url()}`); });
    try {
      expect(errors).toEqual([]);
      expect(blocked).toEqual([]);
      expect(await page.evaluate(() => document.body.dataset.state)).toBe('ready');
      expect(requests.map((u) => u.slice(singleOrigin.length))).not.toContain('/model-int8.evae');
      expect(await page.isVisible('#variant')).toBe(false);
      expect(failed).toEqual([]);
    } finally {
      await page.close();
      single.server.close();
    }
  });

  it('standalone.html works from file:// with no request but itself', async () => {
    expect(kiosk.standalone && existsSync(kiosk.standalone)).toBe(true);
    const url = pathToFileURL(kiosk.standalone!).href;
    const { page, blocked, errors, requests } = await openKiosk(url, null);
    try {
      expect(errors).toEqual([]);
      expect(await page.evaluate(() => document.body.dataset.state)).toBe('ready');
      expect(blocked).toEqual([]);
      expect(requests).toEqual([url]);
      const seed = Number(await page.inputValue('#seed'));
      const grid = await canvasPixels(page, 'grid');
      expect(Buffer.from(grid.data).equals(Buffer.from(expectedRgba(floatVae, floatVae.sample(GRID, { seed }).images, GRID)))).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('index.html from file:// asks for the files and then runs', async () => {
    const url = pathToFileURL(join(kiosk.outDir, 'index.html')).href;
    const page = await browser.newPage({ viewport: { width: 800, height: 480 } });
    const errors = collectPageErrors(page);
    try {
      await page.goto(url);
      await page.waitForSelector('#picker.shown');
      await page.setInputFiles('#pick-wasm', modelPaths.wasm);
      await page.setInputFiles('#pick-model', modelPaths.float);
      await page.waitForFunction(() => document.body.dataset.state !== undefined, null, { timeout: 30_000 });
      expect(errors).toEqual([]);
      expect(await page.evaluate(() => document.body.dataset.state)).toBe('ready');
      const seed = Number(await page.inputValue('#seed'));
      const grid = await canvasPixels(page, 'grid');
      expect(Buffer.from(grid.data).equals(Buffer.from(expectedRgba(floatVae, floatVae.sample(GRID, { seed }).images, GRID)))).toBe(true);
    } finally {
      await page.close();
    }
  });
});
