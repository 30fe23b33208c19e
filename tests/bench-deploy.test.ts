// bench/deploy-engines.ts's own logic (the Chromium / wasmtime / Node columns): the ratio table and the wasmtime timing
// script's host protocol. No timing assertions: speed is measured by the bench, not tested.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert } from '../converter/index.js';
import { EdgeVae } from '../runtime/index.js';
import { COLUMNS, ratioTable } from '../bench/deploy-engines.js';

const ROOT = resolve(import.meta.dirname, '..');

describe('deploy bench harness', () => {
  it('ratioTable: one row per model, ratios against onnxruntime-node, n/a for what did not run', () => {
    const md = ratioTable({ conv: { 'node:ort': 0.2, 'chromium:relaxed-int8': 0.1, 'wasmtime:int8': 0.3 }, taesd: { 'node:f32': 1 } });
    const lines = md.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]!.split('|').length - 2).toBe(COLUMNS.length + 1);
    expect(lines[2]).toContain('| conv | 0.200 ms |');
    expect(lines[2]).toContain('0.100 ms (0.50x)');
    expect(lines[2]).toContain('0.300 ms (1.50x)');
    expect(lines[3]).toContain('| taesd | n/a | 1.000 ms |'); // no baseline: no ratio
  });

  it('wasmtime_time.py decodes what the runtime decodes (its output bytes are the Node fixed build\'s)', async () => {
    const { bytes } = await convert({ decoder: join(ROOT, 'tests', 'fixtures', 'mlp.decoder.op13.onnx'), quant: 'int8' });
    const vae = await EdgeVae.load(bytes, { wasm: readFileSync(join(ROOT, 'build', 'edgevae.wasm')), simd: 'fixed', maxBatch: 1 });
    const z = Float32Array.from({ length: vae.info.latentSize }, (_, i) => Math.sin(i + 1));
    const x = vae.decode(z, 1);
    const work = mkdtempSync(join(tmpdir(), 'edgevae-wt-time-'));
    try {
      writeFileSync(join(work, 'm.evae'), bytes);
      writeFileSync(join(work, 'z.f32'), z);
      writeFileSync(join(work, 'job.json'), JSON.stringify({ wasm: join(ROOT, 'build', 'edgevae.wasm'), model: join(work, 'm.evae'),
        input: join(work, 'z.f32'), warmupMs: 10, windowMs: 20 }));
      const r = spawnSync('python3', [join(ROOT, 'bench', 'wasmtime_time.py'), join(work, 'job.json')], { encoding: 'utf8' });
      if (r.status !== 0 && process.env.CI !== 'true' && /No module named 'wasmtime'/.test(r.stderr)) return; // (CI has it)
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim());
      expect(out.runs).toBeGreaterThanOrEqual(5);
      expect(out.medianMs).toBeGreaterThan(0);
      expect(out.output).toBe(Buffer.from(x.buffer, x.byteOffset, 64).toString('hex'));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
