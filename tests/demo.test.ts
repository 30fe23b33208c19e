// The demo pipeline (cli/demo/pipeline.ts) on the committed conv fixture, into a temp folder: every picture
// is a valid PNG of the size its layout implies, index.html only references files that exist, the int8
// and f32 models both ran, and no check failed. The example sets come from Fashion-MNIST (the demo's own
// maker) so the test does not depend on models/default being present. The text section runs on the shipped
// word model (models/text/words.evae).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoResult } from '../cli/demo/pipeline.js';
import { main as demoMain } from '../cli/demo.js';
import { makeExampleSets, readExampleSets, writeExampleSets } from '../cli/demo/example-set.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(ROOT, 'tests', 'fixtures');
const PYTHON = process.env.EDGEVAE_PYTHON ?? 'python3';
const TEXT_MODEL = join(ROOT, 'models', 'text', 'words.evae');

/** Width and height from a PNG's IHDR chunk; throws unless the file starts like a PNG. */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  signature.forEach((b, i) => { if (bytes[i] !== b) throw new Error('not a PNG signature'); });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new Error('first chunk is not IHDR');
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Size of a grid of `count` 28x28 tiles in `columns` columns with 1-pixel gaps (runtime/image-grid.ts). */
const gridSize = (count: number, columns: number) => {
  const rows = Math.ceil(count / columns);
  return { width: columns * 28 + columns - 1, height: rows * 28 + rows - 1 };
};

describe('demo pipeline on the conv fixture', () => {
  let dir: string;
  let result: DemoResult;
  const printed: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgevae-demo-test-'));
    const modelDir = join(dir, 'model');
    mkdirSync(modelDir);
    copyFileSync(join(FIXTURES, 'conv.encoder.op13.onnx'), join(modelDir, 'encoder.onnx'));
    copyFileSync(join(FIXTURES, 'conv.decoder.op13.onnx'), join(modelDir, 'decoder.onnx'));
    // Fewer calibration images than shipped keep the test quick; the format is the shipped one.
    writeExampleSets(modelDir, makeExampleSets({ calibCount: 64, perClass: 4 }));
    result = await runDemo({
      modelDir, outDir: join(dir, 'out'), root: ROOT, parityLatents: 64, print: (l) => printed.push(l), sequence: { model: TEXT_MODEL },
    });
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ran every step, and no check failed', () => {
    const failed = result.steps.filter((s) => s.status === 'failed');
    expect(failed, JSON.stringify(failed)).toEqual([]);
    expect(result.ok).toBe(true);
    const titles = result.steps.map((s) => s.title);
    for (const t of ['convert ONNX -> f32 .evae', 'convert ONNX -> int8 .evae (calibrated)', 'latent arithmetic', 'reconstructions of test images']) {
      expect(titles).toContain(t);
    }
    expect(printed.length).toBe(result.steps.length);
  });

  it('writes valid PNGs whose sizes follow the grid layout', () => {
    const expected: Record<string, { width: number; height: number }> = {
      'samples-f32.png': gridSize(16, 4),
      'samples-int8.png': gridSize(16, 4),
      'interpolation-f32.png': gridSize(10, 10),
      'interpolation-int8.png': gridSize(10, 10),
      'arithmetic-f32.png': gridSize(3 * 4, 4),
      'reconstructions.png': gridSize(3 * 10, 10),
    };
    for (const [name, size] of Object.entries(expected)) {
      expect(result.files, name).toContain(name);
      expect(pngSize(readFileSync(join(result.outDir, name))), name).toEqual(size);
    }
  });

  it('index.html references only files that exist, and shows every picture', () => {
    const html = readFileSync(result.indexHtml, 'utf8');
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(8);
    for (const ref of refs) expect(existsSync(join(result.outDir, ref)), ref).toBe(true);
    for (const png of result.files.filter((f) => f.endsWith('.png') && !f.includes('wasmtime'))) expect(refs).toContain(png);
    for (const s of result.steps) expect(html).toContain(s.title.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
  });

  it('the int8 model is smaller than the f32 one and both are valid models', async () => {
    const { readModel } = await import('../runtime/format.js');
    const f32 = readModel(readFileSync(join(result.outDir, 'model-f32.evae')));
    const int8 = readModel(readFileSync(join(result.outDir, 'model-int8.evae')));
    expect(int8.metadata.quantization).toBe('int8');
    expect(int8.fileSize).toBeLessThan(f32.fileSize / 2);
  });

  it('parity ran against onnxruntime for both models and wrote its reports', () => {
    for (const v of ['f32', 'int8']) {
      const step = result.steps.find((s) => s.title.startsWith(`parity ${v}`))!;
      expect(step.status, step.detail).toBe('ok');
      const json = JSON.parse(readFileSync(join(result.outDir, `parity-${v}`, 'parity.json'), 'utf8'));
      expect(json.samples).toBe(64);
      expect(json.pass).toBe(true);
    }
  });

  it('the WASI module under wasmtime wrote the same PNG (or says why it could not run)', () => {
    const step = result.steps.find((s) => s.title.startsWith('WASI'))!;
    const haveWasmtime = spawnSync(PYTHON, ['-c', 'import wasmtime']).status === 0;
    if (haveWasmtime || process.env.CI === 'true') {
      expect(step.status, step.detail).toBe('ok');
      expect(readFileSync(join(result.outDir, 'samples-f32-wasmtime.png')).equals(readFileSync(join(result.outDir, 'samples-f32.png')))).toBe(true);
    } else {
      expect(step.status).toBe('skipped');
      expect(step.detail).toMatch(/wasmtime/);
    }
  });

  it('the text section decodes words of the model\'s characters and index.html shows them', async () => {
    const { readModel } = await import('../runtime/format.js');
    const meta = readModel(readFileSync(TEXT_MODEL)).metadata.sequence as { tokens: string[] };
    const characters = new Set(meta.tokens.filter((t) => !/^<.*>$/.test(t)));
    expect(characters.size).toBeGreaterThan(26);
    for (const title of ['load the text model (SequenceVae)', 'text: interpolation (10 steps)']) {
      const step = result.steps.find((s) => s.title === title);
      expect(step?.status, title).toBe('ok');
    }
    expect(result.texts.map((t) => t.lines.length)).toEqual([12, 12, 10]);
    const html = readFileSync(result.indexHtml, 'utf8');
    expect(html).toContain('<section id="text">');
    for (const t of result.texts) {
      expect(html).toContain(t.title.replace(/"/g, '&quot;'));
      for (const line of t.lines) {
        expect(line.length, t.title).toBeGreaterThan(0);
        for (const ch of line) expect(characters.has(ch), `${JSON.stringify(ch)} in "${line}"`).toBe(true);
        expect(html).toContain(`<li><code>${line.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</code></li>`);
      }
    }
    // the seeded sampled decodes differ from the greedy ones of the same latents somewhere
    expect(result.texts[1]!.lines).not.toEqual(result.texts[0]!.lines);
  });

  it('the example sets round-trip through their files', () => {
    const sets = readExampleSets(join(dir, 'model'))!;
    expect(sets.calib.count).toBe(64);
    expect(sets.examples.count).toBe(40);
    expect(sets.examples.shape).toEqual([1, 28, 28]);
    expect(new Set(sets.labels).size).toBe(10);
    expect(sets.classNames[7]).toBe('Sneaker');
  });
});

describe('demo command errors', () => {
  it('names the missing model files and how to get a model', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'edgevae-demo-empty-'));
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => { errors.push(String(s)); return true; }) as typeof process.stderr.write;
    try {
      expect(await demoMain(['--model-dir', empty, '--out', join(empty, 'out')])).toBe(1);
      expect(await demoMain(['--parity', 'many'])).toBe(2);
    } finally {
      process.stderr.write = write;
      rmSync(empty, { recursive: true, force: true });
    }
    expect(errors[0]).toMatch(/encoder\.onnx is missing.*--train/);
    expect(errors[1]).toMatch(/--parity must be an integer/);
  });
});
