// `edgevae parity`: SSIM against closed-form cases, the report files, the per-layer table and exit codes.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ssim, ssimChannel } from '../parity/ssim.js';
import { runParity } from '../parity/cli.js';
import type { ParityResult } from '../parity/compare.js';
import { convert } from '../converter/index.js';
import { quantizeModel } from '../converter/quantize/index.js';
import { rng } from './kernels/harness.js';

const DEC = 'tests/fixtures/conv.decoder.op13.onnx';

describe('SSIM', () => {
  it('is 1 for identical images and symmetric', () => {
    const rand = rng(1);
    const a = Float32Array.from({ length: 28 * 28 }, rand), b = Float32Array.from({ length: 28 * 28 }, rand);
    expect(ssim(a, a, [1, 28, 28])).toBeCloseTo(1, 12);
    expect(ssim(a, b, [1, 28, 28])).toBeCloseTo(ssim(b, a, [1, 28, 28]), 12);
  });
  it('matches the closed form for constant images: (2ab + C1) / (a^2 + b^2 + C1)', () => {
    for (const [a, b] of [[0.2, 0.7], [0, 1], [0.5, 0.5]] as const) {
      const x = new Float32Array(16 * 16).fill(a), y = new Float32Array(16 * 16).fill(b);
      const C1 = 0.01 ** 2;
      const fa = Math.fround(a), fb = Math.fround(b);
      expect(ssimChannel(x, y, 16, 16)).toBeCloseTo((2 * fa * fb + C1) / (fa * fa + fb * fb + C1), 6);
    }
  });
  it('falls as noise grows', () => {
    const rand = rng(2);
    const a = Float32Array.from({ length: 32 * 32 }, (_, i) => 0.5 + 0.4 * Math.sin(i / 7));
    const noisy = (s: number) => a.map((v) => v + s * (rand() - 0.5));
    const values = [0.01, 0.05, 0.2].map((s) => ssim(a, noisy(s), [1, 32, 32]));
    expect(values[0]!).toBeGreaterThan(values[1]!);
    expect(values[1]!).toBeGreaterThan(values[2]!);
  });
});

describe('edgevae parity', () => {
  let dir: string;
  let model: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'h8-parity-'));
    const f32 = (await convert({ decoder: DEC })).bytes;
    model = join(dir, 'dec-int8.evae');
    writeFileSync(model, (await quantizeModel(f32, { mode: 'int8', latents: 128 })).bytes);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('passes, writes parity.json and parity.html, and exits 0 when the bound is met', async () => {
    const out = join(dir, 'pass');
    const code = await runParity(['--model', model, '--reference', DEC, '--n', '40', '--layer-samples', '0', '--min-psnr', '30', '--out', out]);
    expect(code).toBe(0);
    const r = JSON.parse(readFileSync(join(out, 'parity.json'), 'utf8')) as ParityResult;
    expect(r.quantization).toBe('int8');
    expect(r.samples).toBe(40);
    expect(r.pass).toBe(true);
    expect(r.outputs[0]!.psnr!.mean).toBeGreaterThan(30);
    expect(r.outputs[0]!.ssim!.mean).toBeGreaterThan(0.9);
    expect(r.perSample.psnr).toHaveLength(40);
    const html = readFileSync(join(out, 'parity.html'), 'utf8');
    expect(html).toContain('PASS');
    expect(html.match(/data:image\/png;base64/g)!.length).toBe(3 * 24);
  });

  it('exits 1 when --min-psnr is not met', async () => {
    expect(await runParity(['--model', model, '--reference', DEC, '--n', '20', '--layer-samples', '0', '--min-psnr', '99'])).toBe(1);
  });

  it('exits 2 on usage errors, 1 for a missing file', async () => {
    expect(await runParity(['--model', model])).toBe(2);
    expect(await runParity(['--model', join(dir, 'missing.evae'), '--reference', DEC])).toBe(1);
    expect(await runParity(['--model', model, '--reference', DEC, '--n', 'many'])).toBe(2);
    expect(existsSync(join(dir, 'missing.evae'))).toBe(false);
  });

  it('ranks the layers by the error each one causes when quantized alone', async () => {
    const out = join(dir, 'layers');
    expect(await runParity(['--model', model, '--reference', DEC, '--n', '20', '--layer-samples', '12', '--min-psnr', '0', '--out', out])).toBe(0);
    const r = JSON.parse(readFileSync(join(out, 'parity.json'), 'utf8')) as ParityResult;
    expect(r.layers!.map((l) => l.name)).toHaveLength(4); // Gemm, 2 ConvTranspose, Conv
    for (let i = 1; i < r.layers!.length; i++) expect(r.layers![i]!.psnrDb).toBeGreaterThanOrEqual(r.layers![i - 1]!.psnrDb);
    expect(r.layers!.every((l) => l.kind === 'int8' && l.psnrDb > 30)).toBe(true);
  });
});
