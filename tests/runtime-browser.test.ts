// runtime/index.ts must bundle for browsers without Node built-ins and give the same results in Chromium
// as the plain reference and as Node (same sampler values on every host).
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { EdgeVae } from '../runtime/index.js';
import { denseVaeBytes, referenceDecode, seededValues, DENSE_VAE } from './format-fixtures.js';

const ROOT = resolve(import.meta.dirname, '..');
const WASM = join(ROOT, 'build', 'edgevae.wasm');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ready = existsSync(WASM) && existsSync(CHROMIUM);
if (!ready && process.env.CI) throw new Error(`runtime browser test needs ${WASM} and ${CHROMIUM}`);

async function bundleRuntime(): Promise<string> {
  const result = await build({
    entryPoints: [join(ROOT, 'runtime', 'index.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'edgevae',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

describe('runtime in the browser', () => {
  it('bundles for the browser without Node built-ins', async () => {
    const code = await bundleRuntime();
    expect(code).not.toMatch(/require\(["']node:/);
    expect(code).toContain('EdgeVae');
  });

  it.skipIf(!ready)('decodes and samples in Chromium like the reference and like Node', async () => {
    const code = await bundleRuntime();
    const wasm = readFileSync(WASM);
    const model = denseVaeBytes();
    const L = DENSE_VAE.latentSize;
    const z = seededValues(3 * L, 55, 2);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.setContent('<!doctype html><title>edgevae</title>');
      await page.addScriptTag({ content: code });
      const result = await page.evaluate(async ({ wasmB64, modelB64, z, L }) => {
        const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const api = (globalThis as unknown as { edgevae: typeof import('../runtime/index.js') }).edgevae;
        const vae = await api.EdgeVae.load(bytes(modelB64), { wasm: bytes(wasmB64), maxBatch: 2 });
        const decoded = vae.decode(Float32Array.from(z), 3);
        const sampled = vae.sample(4, { seed: 7 });
        let error = '';
        try {
          vae.decode(new Float32Array(L), 2);
        } catch (e) {
          error = (e as Error).message;
        }
        return { decoded: Array.from(decoded), z: Array.from(sampled.z), images: Array.from(sampled.images), error };
      }, { wasmB64: Buffer.from(wasm).toString('base64'), modelB64: Buffer.from(model).toString('base64'), z: Array.from(z), L });

      for (let s = 0; s < 3; s++) {
        const ref = referenceDecode(z.subarray(s * L, (s + 1) * L));
        ref.forEach((v, i) => expect(result.decoded[s * 12 + i]).toBeCloseTo(v, 5));
      }
      const node = (await EdgeVae.load(model, { wasm })).sample(4, { seed: 7 });
      expect(result.z).toEqual(Array.from(node.z));
      expect(result.images).toEqual(Array.from(node.images));
      expect(result.error).toContain('decode: input has 4 values, expected batch 2 x 4 = 8');
    } finally {
      await browser.close();
    }
  });
});
