// Intra-op threads in headless Chromium (docs/threads.md): a cross-origin isolated page (COOP/COEP) runs a team of
// 2 on module Workers (runtime/threads/browser-entry.ts bundled), member 0 on the page's main thread spinning at
// barriers; the decode must equal the fixed runtime's bytes. Without the headers the page falls back to one thread
// and says so in info.threads.note.
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { convert } from '../converter/index.js';
import { defaultWasmPath, threadsWasmPath } from '../runtime/node.js';
import { allowOnlyOrigin, collectPageErrors, launchChromium, requireChromium } from './helpers/browser.js';
import { conv64DecoderOnnx } from './helpers/conv64-decoder.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const HAVE_CHROMIUM = requireChromium('tests/threads-browser.test.ts');
const have = existsSync(defaultWasmPath()) && existsSync(threadsWasmPath());
if (!have && process.env.CI) throw new Error('build/edgevae.wasm or build/edgevae-threads.wasm is missing; npm test builds them first');

async function bundle(contents: string): Promise<string> {
  const out =
    await build(
      { stdin: { contents, resolveDir: ROOT, loader: 'ts' }, bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
        write: false, logLevel: 'silent' });
  return out.outputFiles[0]!.text;
}

const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

describe.skipIf(!HAVE_CHROMIUM || !have)('intra-op threads in Chromium', () => {
  let server: Server;
  let origin: string;
  let browser: Browser;

  beforeAll(async () => {
    const model = (await convert({ decoder: conv64DecoderOnnx() })).bytes;
    const files: Record<string, { type: string; body: string | Uint8Array }> = {
      '/': { type: 'text/html', body: '<!doctype html><title>threads</title>' },
      '/member.js': { type: 'text/javascript', body: await bundle("import './runtime/threads/browser-entry.ts';") },
      '/lib.js': { type: 'text/javascript',
        body: await bundle(
          "export { browserMemberSpawner } from './runtime/threads/browser.ts'; export { EdgeVae } from './runtime/index.ts';") },
      '/model.evae': { type: 'application/octet-stream', body: model },
      '/edgevae.wasm': { type: 'application/wasm', body: readFileSync(defaultWasmPath()) },
      '/edgevae-threads.wasm': { type: 'application/wasm', body: readFileSync(threadsWasmPath()) },
    };
    server = createServer((req, res) => {
      const [path, query] = (req.url ?? '').split('?');
      const f = files[path ?? ''];
      if (!f) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-type': f.type, ...(query === 'plain' ? {} : ISOLATION) }).end(f.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  // A string, not a function: vitest rewrites dynamic imports inside test functions.
  const script = `(async () => {
    const lib = await import('/lib.js');
    const [model, wasm] = await Promise.all(['/model.evae', '/edgevae.wasm'].map(async (u) =>
      new Uint8Array(await (await fetch(u)).arrayBuffer())));
    const single = await lib.EdgeVae.load(model, { wasm, maxBatch: 2 });
    const team = await lib.EdgeVae.load(model, { wasm, maxBatch: 2, threads: 2, threadsWasm: '/edgevae-threads.wasm',
      spawnThread: lib.browserMemberSpawner('/member.js') });
    const z = single.sampleLatents(2, { seed: 9 });
    const same = (a, b) => a.length === b.length && new Uint8Array(a.buffer).every((v, i) => v === new Uint8Array(b.buffer)[i]);
    const one = same(team.decode(z.subarray(0, 128), 1), single.decode(z.subarray(0, 128), 1));
    const two = same(team.decode(z, 2), single.decode(z, 2));
    await team.close();
    return { isolated: self.crossOriginIsolated, threads: team.info.threads, one, two };
  })()`;

  it('a cross-origin isolated page decodes with 2 threads, bit-identical to the fixed runtime', async () => {
    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    const blocked = await allowOnlyOrigin(page, origin);
    await page.goto(`${origin}/`);
    const result = await page.evaluate(script) as { isolated: boolean; threads: unknown; one: boolean; two: boolean };
    expect(result).toEqual({ isolated: true, threads: { count: 2 }, one: true, two: true });
    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
    await page.close();
  }, 60_000);

  it('without COOP/COEP it runs on one thread and says why', async () => {
    const page = await browser.newPage();
    await page.goto(`${origin}/?plain`);
    const result = await page.evaluate(script) as { isolated: boolean; threads: { count: number; note?: string }; one: boolean };
    expect(result.isolated).toBe(false);
    expect(result.threads.count).toBe(1);
    expect(result.threads.note).toMatch(/not cross-origin isolated/);
    expect(result.one).toBe(true);
    await page.close();
  }, 60_000);
});
