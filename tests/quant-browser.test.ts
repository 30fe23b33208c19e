// Cross-engine determinism of quantized models, browser leg: int8 and int8-weights models give the same
// bytes in headless Chromium as in Node (tests/quant-engines.test.ts covers wasmtime).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { convert } from '../converter/index.js';
import { quantizeModel } from '../converter/quantize/index.js';
import { loadCalibrationImages } from '../converter/quantize/calibration-data.js';
import { latentBatch } from '../reference/sampler.js';
import { EdgeVae } from '../runtime/index.js';

const ROOT = resolve(import.meta.dirname, '..');
const WASM = join(ROOT, 'build', 'edgevae.wasm');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ready = existsSync(WASM) && existsSync(CHROMIUM);
if (!ready && process.env.CI) throw new Error(`quantized browser test needs ${WASM} and ${CHROMIUM}`);
if (!ready) console.warn('!!!!! SKIPPING quantized browser test: build/edgevae.wasm or chromium is missing');

const BATCH = 5;

describe.runIf(ready)('quantized models: Chromium and Node agree bit for bit', () => {
  const models: Record<string, Uint8Array> = {};
  let x: Float32Array;
  let z: Float32Array;
  let bundle: string;
  let browser: Browser;

  beforeAll(async () => {
    const f32 = (await convert({ encoder: 'tests/fixtures/conv.encoder.op13.onnx', decoder: 'tests/fixtures/conv.decoder.op13.onnx' })).bytes;
    const images = loadCalibrationImages('fashion-mnist', [1, 28, 28], 32).images;
    models.int8 = (await quantizeModel(f32, { mode: 'int8', images, latents: 64 })).bytes;
    models['int8-weights'] = (await quantizeModel(f32, { mode: 'int8-weights' })).bytes;
    x = new Float32Array(BATCH * 784);
    images.slice(0, BATCH).forEach((img, i) => x.set(img, i * 784));
    z = new Float32Array(BATCH * 16);
    latentBatch(BATCH, 16, 91).forEach((v, i) => z.set(v, i * 16));
    bundle = (await build({
      entryPoints: [join(ROOT, 'runtime', 'index.ts')], bundle: true, platform: 'browser', format: 'iife',
      globalName: 'edgevae', write: false, logLevel: 'silent',
    })).outputFiles[0].text;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  });
  afterAll(async () => { await browser?.close(); });

  for (const mode of ['int8', 'int8-weights']) {
    it(mode, async () => {
      const wasm = readFileSync(WASM);
      const node = await EdgeVae.load(models[mode]!, { wasm, maxBatch: BATCH });
      const nodeEnc = node.encode(x, BATCH);
      const nodeDec = node.decode(z, BATCH);
      const page = await browser.newPage();
      try {
        await page.setContent('<!doctype html><title>edgevae int8</title>');
        await page.addScriptTag({ content: bundle });
        const got = await page.evaluate(async ({ wasmB64, modelB64, x, z, n }) => {
          const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          const api = (globalThis as unknown as { edgevae: typeof import('../runtime/index.js') }).edgevae;
          const vae = await api.EdgeVae.load(bytes(modelB64), { wasm: bytes(wasmB64), maxBatch: n });
          const enc = vae.encode(Float32Array.from(x), n);
          const dec = vae.decode(Float32Array.from(z), n);
          // Bit patterns, not numbers: equality must be exact, -0 and NaN included.
          const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
          return { mu: bits(enc.mu), logvar: bits(enc.logvar), dec: bits(dec) };
        }, { wasmB64: wasm.toString('base64'), modelB64: Buffer.from(models[mode]!).toString('base64'), x: Array.from(x), z: Array.from(z), n: BATCH });
        const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
        expect(got.mu).toEqual(bits(nodeEnc.mu));
        expect(got.logvar).toEqual(bits(nodeEnc.logvar));
        expect(got.dec).toEqual(bits(nodeDec));
      } finally {
        await page.close();
      }
    });
  }
});
