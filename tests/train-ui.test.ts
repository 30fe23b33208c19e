// The training page end to end in headless Chromium: a zip of PNGs goes in, one short epoch trains, the
// page offers encoder.onnx, decoder.onnx and f32/int8 .evae downloads; in Node the downloaded .evae must
// sample exactly the pixels the page's own runtime drew, and its decoder must match onnxruntime on the
// downloaded decoder.onnx. Every request outside the page's origin is blocked.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32 } from '../format/crc32.js';
import { loadModel } from '../runtime/node.js';
import { encodePng } from '../runtime/png.js';
import { buildTrainUi } from '../trainer/ui/build.js';
import { trainUiServer } from '../trainer/ui/command.js';
import { allowOnlyOrigin, collectPageErrors, launchChromium, requireChromium } from './helpers/browser.js';
import { runOnnx } from './helpers/ort.js';
import { seededUniform } from './helpers/seeded-data.js';

const HAVE_CHROMIUM = requireChromium('tests/train-ui.test.ts');
const SIZE = 16;
const COUNT = 40;

/**
 * The fields a zip local header (at 4) and central-directory entry (at 6) share, from "version needed" on: version 2.0,
 * no flags, stored, no date, the CRC, both sizes (stored: equal) and the name length.
 */
function putEntryFields(v: DataView, at: number, crc: number, size: number, nameLength: number): void {
  v.setUint16(at, 20, true);
  v.setUint32(at + 10, crc, true);
  v.setUint32(at + 14, size, true);
  v.setUint32(at + 18, size, true);
  v.setUint16(at + 22, nameLength, true);
}

/** A zip (stored entries) of COUNT gray SIZExSIZE PNGs: blurry blobs at seeded places. */
function pngZip(): Uint8Array {
  const files: { name: Uint8Array; data: Uint8Array }[] = [];
  for (let n = 0; n < COUNT; n++) {
    const [cx, cy] = Array.from(seededUniform(2, n + 1), (u) => 3 + u * (SIZE - 6));
    const data = new Uint8Array(SIZE * SIZE);
    for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) data[y * SIZE + x] =
      Math.round(255 * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 8));
    files.push(
      { name: new TextEncoder().encode(`img/${String(n).padStart(3, '0')}.png`),
        data: encodePng({ width: SIZE, height: SIZE, channels: 1, data }) });
  }
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const f of files) {
    const local = new Uint8Array(30 + f.name.length);
    const lv = new DataView(local.buffer);
    const crc = crc32(f.data);
    lv.setUint32(0, 0x04034b50, true);
    putEntryFields(lv, 4, crc, f.data.length, f.name.length);
    local.set(f.name, 30);
    const entry = new Uint8Array(46 + f.name.length);
    const cv = new DataView(entry.buffer);
    cv.setUint32(0, 0x02014b50, true);
    putEntryFields(cv, 6, crc, f.data.length, f.name.length);
    cv.setUint32(42, offset, true);
    entry.set(f.name, 46);
    parts.push(local, f.data);
    central.push(entry);
    offset += local.length + f.data.length;
  }
  const centralSize = central.reduce((a, c) => a + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, files.length, true);
  ev.setUint16(10, files.length, true);
  ev.setUint32(12, centralSize, true);
  ev.setUint32(16, offset, true);
  return Buffer.concat([...parts, ...central, end]);
}

let work: string;
let server: Server;
let origin: string;
let browser: Browser;

describe.skipIf(!HAVE_CHROMIUM)('training page', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'edgevae-train-ui-'));
    const built = await buildTrainUi(join(work, 'site'));
    server = trainUiServer(built.dir);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('trains two epochs on a zip of PNGs, redrawing the charts after each, and its .evae samples the same pixels in Node', async () => {
    const zip = join(work, 'images.zip');
    writeFileSync(zip, pngZip());
    const page: Page = await browser.newPage({ acceptDownloads: true });
    const errors = collectPageErrors(page);
    const blocked = await allowOnlyOrigin(page, origin);
    // tfjs wasm + an MLP keeps this test short; WebGPU training has its own test (trainer-webgpu).
    await page.goto(`${origin}/?backend=wasm`);
    await page.setInputFiles('#zip', zip);
    await page.waitForFunction(() => document.body.dataset.state === 'ready' || document.body.dataset.state === 'error');
    expect(await page.textContent('#data-info')).toContain(`36 train / 4 test images, ${SIZE}x${SIZE}x1`);
    await page.selectOption('#kind', 'mlp');
    await page.fill('#latent', '4');
    await page.fill('#epochs', '2');
    await page.fill('#batch', '12');
    await page.click('#train');
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 120_000 });
    const ui = await page.evaluate(() => {
      const p =
        (window as unknown as {
          edgevaeTrainUi: { state: string; error: string; backend: string; history: unknown[];
            runtimeSamples: Float32Array; drawnAfter: number[] } }).edgevaeTrainUi;
      return {
        state: p.state, error: p.error, backend: p.backend, epochs: p.history.length, drawnAfter: p.drawnAfter,
        samples: Array.from(p.runtimeSamples ?? []),
      };
    });
    expect(ui.error).toBe('');
    expect(ui.state).toBe('done');
    expect(ui.backend).toMatch(/^tfjs wasm/);
    expect(ui.epochs).toBe(2);
    expect(ui.drawnAfter).toEqual([1, 2]); // live: after epoch 1 while training, then after epoch 2
    expect(await page.locator('#loss svg').count()).toBe(1);

    const download = async (name: string) => {
      const [d] = await Promise.all([page.waitForEvent('download'), page.click(`#download-${name.replace(/\W/g, '-')}`)]);
      const path = join(work, name);
      await d.saveAs(path);
      return path;
    };
    const encoder = await download('encoder.onnx');
    const decoder = await download('decoder.onnx');
    const f32 = await download('model.evae');
    const int8 = await download('model-int8.evae');
    expect(readFileSync(encoder).length).toBeGreaterThan(1000);

    // The page's runtime and Node's runtime on the downloaded file: the same pixels.
    const vae = await loadModel(readFileSync(f32));
    const { z, images } = vae.sample(8, { seed: 1 });
    expect(Array.from(images)).toEqual(ui.samples);
    // The downloaded decoder.onnx in onnxruntime (the independent engine) agrees with the .evae.
    const ort = await runOnnx(decoder, { z: { data: z, dims: [8, 4] } });
    const ref = Object.values(ort)[0].data;
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i] - images[i]));
    expect(worst).toBeLessThan(1e-4);
    // The int8 file is a valid model whose samples stay near the float ones.
    const q = await loadModel(readFileSync(int8));
    expect(q.info.quantization).toBe('int8');
    const qi = q.sample(8, { seed: 1 }).images;
    let diff = 0;
    for (let i = 0; i < qi.length; i++) diff += Math.abs(qi[i] - images[i]);
    expect(diff / qi.length).toBeLessThan(0.05);
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
