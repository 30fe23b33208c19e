// The browser flavour of the worker pool in headless Chromium: module Workers running the bundled
// runtime/workers/browser-entry.ts, same protocol as the Node threads. Results must equal the
// single-instance API byte for byte (compared inside the page, and against Node's output).
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { convert } from '../converter/index.js';
import { EdgeVae } from '../runtime/index.js';
import { defaultWasmPath } from '../runtime/node.js';
import { allowOnlyOrigin, collectPageErrors, launchChromium, requireChromium } from './helpers/browser.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const HAVE_CHROMIUM = requireChromium('tests/workers-browser.test.ts');
const wasmPath = defaultWasmPath();
if (!existsSync(wasmPath) && process.env.CI) throw new Error(`${wasmPath} is missing; npm test builds it first`);

async function bundle(contents: string): Promise<string> {
  const out = await build({ stdin: { contents, resolveDir: ROOT, loader: 'ts' }, bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' });
  return out.outputFiles[0]!.text;
}

describe.skipIf(!HAVE_CHROMIUM || !existsSync(wasmPath))('WorkerPool with browser Workers', () => {
  let server: Server;
  let origin: string;
  let browser: Browser;
  let model: Uint8Array;

  beforeAll(async () => {
    model = (await convert({ decoder: join(ROOT, 'tests/fixtures/conv.decoder.op13.onnx'), name: 'conv' })).bytes;
    const files: Record<string, { type: string; body: string | Uint8Array }> = {
      '/': { type: 'text/html', body: '<!doctype html><title>pool</title>' },
      '/worker.js': { type: 'text/javascript', body: await bundle("import './runtime/workers/browser-entry.ts';") },
      '/lib.js': { type: 'text/javascript', body: await bundle("export { WorkerPool, browserWorkerSpawner } from './runtime/workers/browser.ts'; export { EdgeVae } from './runtime/index.ts';") },
      '/model.evae': { type: 'application/octet-stream', body: model },
      '/edgevae.wasm': { type: 'application/wasm', body: readFileSync(wasmPath) },
    };
    server = createServer((req, res) => {
      const f = files[req.url ?? ''];
      if (!f) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-type': f.type }).end(f.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('sample and decode equal the single instance; worker errors propagate; terminate stops the pool', async () => {
    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    const blocked = await allowOnlyOrigin(page, origin);
    await page.goto(`${origin}/`);
    // A string, not a function: vitest rewrites dynamic imports inside test functions.
    const result = await page.evaluate(`(async () => {
      const lib = await import('/lib.js');
      const [modelBytes, wasmBytes] = await Promise.all(['/model.evae', '/edgevae.wasm'].map(async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer())));
      const wasm = await WebAssembly.compile(wasmBytes);
      const pool = await lib.WorkerPool.create({ model: modelBytes, wasm, workers: 2, spawn: lib.browserWorkerSpawner('/worker.js') });
      const single = await lib.EdgeVae.load(modelBytes, { wasm, maxBatch: 64 });
      const same = (a, b) => a.length === b.length && new Uint8Array(a.buffer).every((v, i) => v === new Uint8Array(b.buffer)[i]);
      const s = await pool.sample(10, { seed: 77 });
      const e = single.sample(10, { seed: 77 });
      const z = single.sampleLatents(5, { seed: 3 });
      const decoded = await pool.decode(z, 5);
      const bad = new Float32Array(2 * 16);
      bad[17] = NaN;
      const error = await pool.decode(bad, 2).then(() => 'no error', (err) => err.name + ': ' + err.message);
      await pool.terminate();
      const afterTerminate = await pool.decode(z, 5).then(() => 'no error', (err) => err.message);
      return {
        sampleSame: same(s.images, e.images) && same(s.z, e.z),
        decodeSame: same(decoded, single.decode(z, 5)),
        images: Array.from(s.images.slice(0, 64)),
        error,
        afterTerminate,
      };
    })()`) as { sampleSame: boolean; decodeSame: boolean; images: number[]; error: string; afterTerminate: string };
    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
    expect(result.sampleSame).toBe(true);
    expect(result.decodeSame).toBe(true);
    expect(result.error).toMatch(/^InputError: worker 1: decode: input\[1\].*NaN/);
    expect(result.afterTerminate).toMatch(/terminated/);
    // and the browser's bytes equal Node's
    const node = await EdgeVae.load(model, { wasm: readFileSync(wasmPath), maxBatch: 64 });
    expect(Float32Array.from(result.images)).toEqual(node.sample(10, { seed: 77 }).images.slice(0, 64));
    await page.close();
  });
});
